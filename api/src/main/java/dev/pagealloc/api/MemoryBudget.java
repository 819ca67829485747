package dev.pagealloc.api;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A partition of memory that committed pages are charged to: the JVM-side counterpart of a QNX
 * memory partition or a cgroup limit. Every byte a region commits is charged before the kernel is
 * asked, and refunded on decommit and deallocate; a commit that would exceed the limit is refused
 * with {@link BudgetExceededException} and leaves nothing charged.
 *
 * <p>Thread-safe: one budget may be shared by several allocators.
 */
public final class MemoryBudget {
    private final String name;
    private final long limitBytes;
    private final AtomicLong usedBytes = new AtomicLong();

    private MemoryBudget(String name, long limitBytes) {
        this.name = name;
        this.limitBytes = limitBytes;
    }

    /**
     * {@return a budget named {@code name} that allows {@code limitBytes} committed bytes}
     *
     * @param name a name for messages; not blank
     * @param limitBytes the limit, in bytes; positive
     * @throws IllegalArgumentException if {@code name} is blank or {@code limitBytes <= 0}
     */
    public static MemoryBudget of(String name, long limitBytes) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("MemoryBudget.of(name=" + name + "): a name is needed");
        }
        if (limitBytes <= 0) {
            throw new IllegalArgumentException("MemoryBudget.of(name=" + name + ", limitBytes=" + limitBytes
                    + "): the limit must be positive");
        }
        return new MemoryBudget(name, limitBytes);
    }

    /** {@return the budget's name} */
    public String name() {
        return name;
    }

    /** {@return the limit, in bytes} */
    public long limitBytes() {
        return limitBytes;
    }

    /** {@return the bytes charged now} */
    public long usedBytes() {
        return usedBytes.get();
    }

    /**
     * Charges {@code byteCount} bytes, or refuses without charging anything.
     *
     * @param operation the operation charging, for the message
     * @param byteCount bytes to charge; non-negative
     * @throws BudgetExceededException if the charge would pass the limit
     */
    public void charge(String operation, long byteCount) {
        long before;
        do {
            before = usedBytes.get();
            if (byteCount > limitBytes - before) {
                throw new BudgetExceededException(operation, this, before, byteCount);
            }
        } while (!usedBytes.compareAndSet(before, before + byteCount));
    }

    /**
     * Returns {@code byteCount} bytes to the budget.
     *
     * @param byteCount bytes to refund; at most what is charged
     */
    public void refund(long byteCount) {
        usedBytes.addAndGet(-byteCount);
    }

    @Override
    public String toString() {
        return "MemoryBudget[name=" + name + ", usedBytes=" + usedBytes.get() + ", limitBytes=" + limitBytes + "]";
    }
}
