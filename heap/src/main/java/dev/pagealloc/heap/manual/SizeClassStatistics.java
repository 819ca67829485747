package dev.pagealloc.heap.manual;

/**
 * One size class's figures in {@link HeapStatistics}.
 *
 * @param blockBytes the size of its blocks, in bytes
 * @param liveBlocks its live blocks
 * @param allocations its blocks allocated in all
 * @param slabs the slabs it holds
 */
public record SizeClassStatistics(int blockBytes, long liveBlocks, long allocations, int slabs) {
}
