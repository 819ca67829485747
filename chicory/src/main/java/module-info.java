/**
 * pagealloc's linear memories for Chicory, the pure-JVM WebAssembly runtime: a Chicory
 * {@code Memory} over a {@link dev.pagealloc.wasm.LinearMemory}, its factory and import helpers, and a
 * runner of the WebAssembly spec tests (wabt's JSON form) through Chicory's interpreter and compiler.
 */
module dev.pagealloc.chicory {
    requires transitive dev.pagealloc.wasm;
    requires transitive com.dylibso.chicory.runtime;
    requires com.dylibso.chicory.compiler;

    exports dev.pagealloc.chicory;
    exports dev.pagealloc.chicory.programs;
    exports dev.pagealloc.chicory.spec;
}
