/**
 * WebAssembly linear memories on pagealloc: {@link dev.pagealloc.wasm.LinearMemory} (bounds-checked
 * little-endian access that traps, grow in place, shared memories with atomics and wait/notify),
 * pools of pre-reserved slots and copy-on-write memory images.
 */
module dev.pagealloc.wasm {
    requires transitive dev.pagealloc.api;

    exports dev.pagealloc.wasm;
}
