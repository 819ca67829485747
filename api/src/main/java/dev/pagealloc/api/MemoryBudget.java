package dev.pagealloc.api;

/**
 * A plain byte limit: a root {@link MemoryPartition} with a maximum and nothing else (no guaranteed
 * minimum, no flags, no limiter, no children of its own making). The name partitions had before they
 * grew; {@link PageAllocatorBuilder#withBudget} is {@link PageAllocatorBuilder#withPartition}, and the
 * accounting is the partition's. Messages call it a budget.
 *
 * <p>Thread-safe: one budget may be shared by several allocators.
 */
public final class MemoryBudget extends MemoryPartition {

    private MemoryBudget(String name, long limitBytes) {
        super(name, limitBytes);
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

    @Override
    String kind() {
        return "budget";
    }

    @Override
    public String toString() {
        return "MemoryBudget[name=" + name() + ", usedBytes=" + usedBytes() + ", limitBytes=" + limitBytes() + "]";
    }
}
