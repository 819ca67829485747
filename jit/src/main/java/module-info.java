/**
 * Executable memory for code generated at run time: W^X code buffers, a code heap, and calling the
 * code through the FFM linker.
 *
 * <p>Running generated machine code is inherently restricted, so applications grant this module
 * native access: {@code --enable-native-access=dev.pagealloc.jit,...}.
 */
module dev.pagealloc.jit {
    requires transitive dev.pagealloc.api;

    // exports dev.pagealloc.jit; (with its first class)
    exports dev.pagealloc.jit.bf;
}
