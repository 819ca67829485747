/**
 * The {@code pagealloc} command: {@code info} (the capability report, also as JSON) and
 * {@code tour} (a guided run showing the kernel's view of each step).
 */
module dev.pagealloc.cli {
    requires dev.pagealloc.api;
    // MapsLine, the one parser of /proc/self/maps lines, for the tour's view of the kernel
    requires dev.pagealloc.platform.support;
    // pagealloc startup: the children's CPU time and this JVM's options
    requires java.management;
    requires dev.pagealloc.wasm;
    requires dev.pagealloc.jit;
    requires dev.pagealloc.heap;
    requires dev.pagealloc.chicory;
    requires dev.pagealloc.tagging;
    requires com.dylibso.chicory.compiler;
    requires com.dylibso.chicory.wasi;
}
