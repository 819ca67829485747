/**
 * Executable memory for code generated at run time: W^X code buffers, a code heap, and calling the
 * code through the FFM linker.
 *
 * <p><b>Restricted.</b> Running generated machine code is inherently restricted: this module makes
 * restricted calls (downcall handles into generated code, segments over the code's writable pages,
 * {@code PageAllocator.platformFeature}), so applications grant it native access, and
 * {@code JitMemory.Builder.build()} in turn runs only for callers that have it:
 * {@code --enable-native-access=dev.pagealloc.jit,...}.
 */
module dev.pagealloc.jit {
    requires transitive dev.pagealloc.api;
    requires jdk.jfr;

    exports dev.pagealloc.jit;
    exports dev.pagealloc.jit.bf;
}
