/**
 * WebAssembly linear memories on pagealloc: {@link dev.pagealloc.wasm.LinearMemory} (bounds-checked
 * little-endian access that traps, grow in place, shared memories with atomics and wait/notify),
 * pools of pre-reserved slots and copy-on-write memory images.
 *
 * <p><b>Native access.</b> This module makes restricted calls: {@code MemorySegment.reinterpret} for the views
 * of {@link dev.pagealloc.wasm.MemoryPool} slots (bounded to the committed bytes, killed with their
 * generation's arena before a slot is reset or unmapped), and {@code PageAllocator.platformFeature} for
 * {@link dev.pagealloc.wasm.MemoryImage}'s copy-on-write images. Run with
 * {@code --enable-native-access=dev.pagealloc.wasm} (on the class path, {@code ALL-UNNAMED}); none of its
 * public methods trusts a caller-supplied address, so none is restricted itself.
 */
module dev.pagealloc.wasm {
    requires transitive dev.pagealloc.api;

    exports dev.pagealloc.wasm;
}
