package dev.pagealloc.api;

/**
 * A snapshot of the JVM's {@link DeferredUnmap} counts (one set for the process, since mappings and address
 * space are the process's). Each figure is read atomically, the snapshot as a whole is not.
 *
 * @param awaitingRegions released regions still mapped, waiting for their holders to become unreachable
 * @param awaitingReservedBytes their reservations, guards included, in bytes; also in their allocators'
 *     {@link AllocatorStatistics#reservedBytes()}
 * @param awaitingCommittedBytes their committed bytes at release, in bytes: their pages were discarded, but the
 *     bytes stay in their allocators' {@link AllocatorStatistics#committedBytes()} and charged to their
 *     partitions until the unmap
 * @param unmappedRegions regions the cleaner deallocated once their holders were unreachable, released or not
 * @param failedUnmaps deallocations the cleaner had refused (the region stays reserved)
 * @param collections garbage collections asked for by {@link DeferredUnmap#allocate}
 * @param retriedAllocations allocations tried again after a refusal and a collection
 */
public record DeferredUnmapStatistics(
        long awaitingRegions,
        long awaitingReservedBytes,
        long awaitingCommittedBytes,
        long unmappedRegions,
        long failedUnmaps,
        long collections,
        long retriedAllocations) {}
