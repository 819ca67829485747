package dev.pagealloc.api;

import dev.pagealloc.internal.observe.RegionEvents;

/**
 * A commit that would pass a {@link MemoryPartition}'s maximum (a {@link MemoryBudget}'s limit), at
 * the partition charged or at one of its ancestors. Nothing is committed, and every partition of the
 * chain holds what it held before. The message names the refusing partition, its limit, its use and
 * the request.
 */
public final class BudgetExceededException extends PageAllocatorException {
    private static final long serialVersionUID = 1L;

    private final transient MemoryPartition partition;
    private final transient MemoryPartition charged;
    /** The refusing partition's use before the call, in bytes. */
    private final long usedBytes;
    /** The bytes the refusing partition was asked to take. */
    private final long requestedBytes;

    /**
     * Creates an exception for a refusal by the partition charged.
     *
     * @param operation the operation with its arguments
     * @param partition the partition that refused
     * @param usedBytes the bytes charged to it before the call
     * @param requestedBytes the bytes the call asked for
     */
    public BudgetExceededException(String operation, MemoryPartition partition, long usedBytes, long requestedBytes) {
        this(operation, partition, partition, usedBytes, requestedBytes, null);
    }

    /**
     * Creates an exception.
     *
     * @param operation the operation with its arguments
     * @param partition the partition that refused: {@code charged} or an ancestor
     * @param charged the partition the charge was made to
     * @param usedBytes the bytes charged to {@code partition} before the call
     * @param requestedBytes the bytes {@code partition} was asked to take
     * @param cause what the partition's {@link PartitionLimiter} threw, or null
     */
    public BudgetExceededException(String operation, MemoryPartition partition, MemoryPartition charged,
            long usedBytes, long requestedBytes, Throwable cause) {
        super(operation, partition.kind() + " '" + partition.name() + "' cannot take requestedBytes=" + requestedBytes
                + (charged == partition ? "" : " for '" + charged.name() + "'") + ": usedBytes=" + usedBytes
                + ", limitBytes=" + partition.maximumBytes()
                + (cause == null ? "" : "; its limiter threw " + cause), cause);
        this.partition = partition;
        this.charged = charged;
        this.usedBytes = usedBytes;
        this.requestedBytes = requestedBytes;
        RegionEvents.refused(this); // last: a JFR event reads the finished exception
    }

    /** {@return the partition that refused: the one charged, or an ancestor whose maximum was reached} */
    public MemoryPartition partition() {
        return partition;
    }

    /** {@return the partition the charge was made to} */
    public MemoryPartition charged() {
        return charged;
    }

    /** {@return the refusing partition's use before the call, in bytes} */
    public long usedBytes() {
        return usedBytes;
    }

    /** {@return the bytes the refusing partition was asked to take} */
    public long requestedBytes() {
        return requestedBytes;
    }

    /** {@return the partition that refused}: the same as {@link #partition()}, the name it had for budgets */
    public MemoryPartition budget() {
        return partition;
    }
}
