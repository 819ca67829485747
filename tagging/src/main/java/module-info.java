/**
 * Memory tagging on pagealloc: the software tagger ({@link dev.pagealloc.tagging.SoftwareTagSpace}, a shadow
 * tag per 16-byte granule checked by {@link dev.pagealloc.tagging.TaggedRegion}'s accessors), the ARM MTE
 * path ({@code dev.pagealloc.tagging.mte}: tag instructions as generated stubs, never run on real hardware
 * yet), and tagged accessors for the layers ({@code dev.pagealloc.tagging.wasm}, {@code dev.pagealloc.tagging.heap}).
 *
 * <p><b>Native access.</b> Grant {@code --enable-native-access=dev.pagealloc.tagging}. The software tagger reads
 * its shadow through a global-scope segment ({@code MemorySegment.reinterpret}, bounded to the committed shadow
 * of a region it keeps mapped while the tag space is reachable), so that a check pays no arena's liveness
 * check; none of its public methods trusts a caller-supplied address, and a shadow allocator whose regions come
 * from a module without native access is refused. The MTE path runs generated code (through
 * {@code dev.pagealloc.jit}) and is restricted.
 */
module dev.pagealloc.tagging {
    requires transitive dev.pagealloc.api;
    requires transitive dev.pagealloc.wasm;
    requires transitive dev.pagealloc.heap;
    requires transitive dev.pagealloc.jit;

    exports dev.pagealloc.tagging;
}
