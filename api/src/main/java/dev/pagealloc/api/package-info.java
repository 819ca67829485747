/**
 * Reserve, commit, grow, protect, decommit, discard and release pages of virtual memory.
 *
 * <p>Start with {@link dev.pagealloc.api.PageAllocator#builder()}: it picks the best platform
 * provider found through {@link java.util.ServiceLoader}, checks the options, and returns an
 * allocator whose {@link dev.pagealloc.api.PageAllocator#allocate(long, long) allocate} hands out
 * {@link dev.pagealloc.api.Region regions}: reservations whose base address never moves and whose
 * accessible bytes Java code reaches only through bounded {@link java.lang.foreign.MemorySegment}s.
 */
package dev.pagealloc.api;
