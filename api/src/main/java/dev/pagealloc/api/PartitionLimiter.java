package dev.pagealloc.api;

/**
 * Asked before a {@link MemoryPartition} refuses a charge, as wasmtime's {@code ResourceLimiter::memory_growing}
 * is asked before a memory grows: the host may free memory in the partition (deallocate or decommit
 * regions, {@link MemoryPartition#refund} memory it accounts itself) and ask for one retry, or veto.
 *
 * <p>Called on the thread that commits, with no partition lock held, but inside the operation that
 * charges: while a region grows, allocates or recommits, that region's monitor is held, so the
 * limiter must free memory of other regions (or other threads' regions), never the one being grown.
 * A limiter that throws vetoes: the refusal is thrown with its exception as the cause, and nothing
 * is charged. Errors ({@link Error}) are not caught and propagate, nothing charged either.
 */
@FunctionalInterface
public interface PartitionLimiter {

    /**
     * Decides what happens to a charge {@code request.partition()} cannot take.
     *
     * @param request the refusal about to happen
     * @return {@code true} to retry the charge once (a second refusal is thrown without asking again),
     *     {@code false} to refuse now
     */
    boolean beforeRefusal(Request request);

    /**
     * A charge about to be refused.
     *
     * @param partition the partition whose maximum the charge would pass (the one this limiter belongs to)
     * @param charged the partition the charge was made to: {@code partition} or one of its descendants
     * @param operation the operation charging, with its arguments, e.g. {@code grow(additionalPages=4)}
     * @param requestedBytes the bytes {@code partition} was asked to take, in bytes (a descendant's guaranteed
     *     minimum can make it less than what {@code charged} was asked for)
     * @param usedBytes {@code partition}'s use when it refused, in bytes
     * @param maximumBytes {@code partition}'s maximum, in bytes
     */
    record Request(MemoryPartition partition, MemoryPartition charged, String operation, long requestedBytes,
            long usedBytes, long maximumBytes) {}
}
