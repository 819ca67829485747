package dev.pagealloc.api;

import dev.pagealloc.internal.observe.RegionEvents;

/**
 * An option the platform cannot honour (huge pages with an empty pool, memory tagging without the
 * hardware, NUMA on a platform without it). Thrown instead of silently dropping the option; asking
 * for best effort ({@link PageAllocatorBuilder#withBestEffort(boolean)}) turns it into a
 * downgrade that {@link Region#appliedOptions()} reports.
 *
 * <p>{@link PageAllocatorBuilder#build()} throws it for what the platform's capabilities rule out;
 * {@link PageAllocator#allocate(long, long)} and the operations that commit pages throw it for what
 * only the attempt shows (a huge page pool emptied since the probe, pages the platform cannot lock).
 * A {@link PageAllocatorException}, not an {@link UnsupportedOperationException}: the platform, not
 * the program, is what cannot do it, so one {@code catch (PageAllocatorException e)} sees it.
 */
public final class UnsupportedOptionException extends PageAllocatorException {
    private static final long serialVersionUID = 1L;

    /** The option refused, as the builder names it. */
    private final String option;

    /**
     * Creates an exception.
     *
     * @param operation the operation with its arguments
     * @param option the option refused, e.g. {@code hugePages=explicit(2 MiB)}
     * @param reason why the platform cannot honour it
     */
    public UnsupportedOptionException(String operation, String option, String reason) {
        super(operation, option + " is not available: " + reason, null);
        this.option = option;
        RegionEvents.refused(this); // last: a JFR event reads the finished exception
    }

    /** {@return the option refused, e.g. {@code hugePages=explicit(2 MiB)}} */
    public String option() {
        return option;
    }
}
