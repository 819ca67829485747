/**
 * A manual heap on pagealloc's regions: {@link dev.pagealloc.heap.manual.ManualHeap} (allocate,
 * reallocate and free, with size classes, per-thread caches and exact statistics) and
 * {@link dev.pagealloc.heap.manual.HeapArena} (bump allocation freed all at once, a
 * {@link java.lang.foreign.SegmentAllocator}).
 */
package dev.pagealloc.heap.manual;
