package dev.pagealloc.api;

/**
 * A snapshot of one allocator's counters. Each figure is read atomically, the snapshot as a whole
 * is not: under concurrent use the figures may come from slightly different moments.
 *
 * @param reservedBytes address space reserved now, guards included, in bytes
 * @param committedBytes memory committed now (accessible or protected, not decommitted), in bytes
 * @param peakCommittedBytes the most ever committed at once, in bytes
 * @param liveRegions regions allocated and not yet deallocated
 * @param allocations successful {@code allocate} calls
 * @param deallocations regions deallocated
 * @param grows successful grows
 * @param protects successful protection changes
 * @param decommits successful decommits
 * @param discards successful discards
 * @param failures operations refused by the kernel, the maximum, a budget or the mapping limit
 */
public record AllocatorStatistics(
        long reservedBytes,
        long committedBytes,
        long peakCommittedBytes,
        long liveRegions,
        long allocations,
        long deallocations,
        long grows,
        long protects,
        long decommits,
        long discards,
        long failures) {}
