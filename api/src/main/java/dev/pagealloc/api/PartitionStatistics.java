package dev.pagealloc.api;

import java.util.List;

/**
 * A snapshot of one {@link MemoryPartition} and its descendants. Each figure is read atomically; the
 * snapshot as a whole is not (concurrent charges may fall between two figures).
 *
 * @param name the partition's name
 * @param usedBytes bytes charged now, in bytes: its own regions' committed pages, what was charged with
 *     {@link MemoryPartition#charge}, and each child's footprint ({@code max(child use, child guaranteed)})
 * @param peakBytes the most {@code usedBytes} has been, in bytes
 * @param maximumBytes the limit, in bytes
 * @param guaranteedBytes the guaranteed minimum, in bytes
 * @param reserveBytes the guaranteed minimum not yet handed to its regions, held committed and resident
 *     in the partition's reserve now, in bytes (rounded up to the platform page)
 * @param refusals charges this partition refused (after its limiter, if any, was asked)
 * @param children the children's statistics, in creation order
 */
public record PartitionStatistics(String name, long usedBytes, long peakBytes, long maximumBytes,
        long guaranteedBytes, long reserveBytes, long refusals, List<PartitionStatistics> children) {

    /**
     * Copies {@code children}.
     *
     * @throws NullPointerException if {@code name} or {@code children} is null
     */
    public PartitionStatistics {
        if (name == null) {
            throw new NullPointerException("PartitionStatistics(name=null)");
        }
        children = List.copyOf(children);
    }
}
