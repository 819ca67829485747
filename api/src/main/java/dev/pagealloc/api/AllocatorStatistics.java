package dev.pagealloc.api;

/**
 * A snapshot of one allocator's counters. Each figure is read atomically, the snapshot as a whole
 * is not: under concurrent use the figures may come from slightly different moments.
 *
 * @param reservedBytes address space reserved now, guards included, in bytes; quarantined regions'
 *     reservations included
 * @param committedBytes memory committed now (accessible or protected, not decommitted), in bytes
 * @param peakCommittedBytes the most ever committed at once, in bytes
 * @param liveRegions regions allocated and not yet deallocated (quarantined regions are not live)
 * @param allocations successful {@code allocate} calls
 * @param deallocations regions deallocated
 * @param grows successful grows
 * @param protects successful protection changes
 * @param decommits successful decommits
 * @param discards successful discards
 * @param failures operations refused by the kernel, the maximum, a budget or the mapping limit
 * @param quarantinedRegions deallocated regions whose reservations wait, contents discarded, for
 *     their shared views' arena to close (see {@link ViewQuarantine})
 * @param quarantinedBytes their reservations, guards included, in bytes; part of {@code reservedBytes},
 *     not of {@code committedBytes} (what stale views write there meanwhile is not counted)
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
        long failures,
        long quarantinedRegions,
        long quarantinedBytes) {}
