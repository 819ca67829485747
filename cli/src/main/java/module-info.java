/**
 * The {@code pagealloc} command: {@code info} (the capability report, also as JSON) and
 * {@code tour} (a guided run showing the kernel's view of each step).
 */
module dev.pagealloc.cli {
    requires dev.pagealloc.api;
    requires dev.pagealloc.chicory;
    requires com.dylibso.chicory.compiler;
    requires com.dylibso.chicory.wasi;
}
