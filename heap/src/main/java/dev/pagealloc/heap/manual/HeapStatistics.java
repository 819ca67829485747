package dev.pagealloc.heap.manual;

import java.util.List;

/**
 * A {@link ManualHeap}'s figures. Block counts and bytes are exact: every free knows the block's
 * size from the heap's metadata. Taken while other threads allocate, each figure is one the heap
 * had at some moment during the call; after those threads' work happens-before the call (a join),
 * they are the figures of that moment.
 *
 * @param liveBytes bytes of live blocks, as requested, in bytes
 * @param liveBlocks live blocks
 * @param peakLiveBytes the most {@code liveBytes} has been, in bytes
 * @param allocations blocks allocated in all (a move by reallocate counts one allocation and one free)
 * @param frees blocks freed in all
 * @param heldBytes bytes of pages the heap holds from the allocator for blocks (slabs and large
 *     blocks), in bytes; arena chunks are not counted
 * @param sizeClasses each size class's figures, smallest first
 * @param threadCaches the per-thread caches the heap holds: one per thread that has used it and was
 *     not yet seen ended (a cache of an ended thread is retired, its blocks returned to their slabs,
 *     when statistics are taken, on trims and when another thread first uses the heap)
 */
public record HeapStatistics(long liveBytes, long liveBlocks, long peakLiveBytes, long allocations, long frees,
        long heldBytes, List<SizeClassStatistics> sizeClasses, int threadCaches) {
    /**
     * Copies the list.
     *
     * @throws NullPointerException if {@code sizeClasses} is null
     */
    public HeapStatistics {
        sizeClasses = List.copyOf(sizeClasses);
    }
}
