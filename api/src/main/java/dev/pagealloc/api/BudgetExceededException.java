package dev.pagealloc.api;

import dev.pagealloc.internal.observe.RegionEvents;

/** A commit that would pass a {@link MemoryBudget}'s limit. Nothing is committed or charged. */
public final class BudgetExceededException extends PageAllocatorException {
    private static final long serialVersionUID = 1L;

    private final transient MemoryBudget budget;

    /**
     * Creates an exception.
     *
     * @param operation the operation with its arguments
     * @param budget the budget that refused
     * @param usedBytes the bytes charged before the call
     * @param requestedBytes the bytes the call asked for
     */
    public BudgetExceededException(String operation, MemoryBudget budget, long usedBytes, long requestedBytes) {
        super(operation, "budget '" + budget.name() + "' cannot take requestedBytes=" + requestedBytes
                + ": usedBytes=" + usedBytes + ", limitBytes=" + budget.limitBytes(), null);
        this.budget = budget;
        RegionEvents.refused(this); // last: a JFR event reads the finished exception
    }

    /** {@return the budget that refused} */
    public MemoryBudget budget() {
        return budget;
    }
}
