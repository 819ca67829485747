/**
 * A manual heap on pagealloc's regions: {@link dev.pagealloc.heap.manual.ManualHeap} (allocate,
 * reallocate and free, with size classes, per-thread caches and exact statistics) and
 * {@link dev.pagealloc.heap.manual.HeapArena} (bump allocation freed all at once, a
 * {@link java.lang.foreign.SegmentAllocator}).
 *
 * <p>Arenas and checked blocks attach the heap's own memory to a JDK scope with the restricted
 * {@link java.lang.foreign.MemorySegment#reinterpret(java.lang.foreign.Arena, java.util.function.Consumer)},
 * and arenas zero their chunks through libc's {@code memset}, linked by the restricted
 * {@code Linker.downcallHandle};
 * no method here takes an address from its caller, so none checks the caller's native access. Give
 * module {@code dev.pagealloc.heap} native access to run without the JDK's warning.
 */
package dev.pagealloc.heap.manual;
