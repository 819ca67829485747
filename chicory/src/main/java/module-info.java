/**
 * pagealloc's linear memories for Chicory, the pure-JVM WebAssembly runtime: a Chicory
 * {@code Memory} over a {@link dev.pagealloc.wasm.LinearMemory}, its factory and import helpers.
 */
module dev.pagealloc.chicory {
    requires transitive dev.pagealloc.wasm;
    requires transitive com.dylibso.chicory.runtime;

    // exports dev.pagealloc.chicory; (with its first class)
}
