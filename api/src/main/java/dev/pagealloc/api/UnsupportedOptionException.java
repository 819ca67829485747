package dev.pagealloc.api;

/**
 * An option the platform cannot honour (huge pages with an empty pool, memory tagging without the
 * hardware, NUMA on a platform without it). Thrown instead of silently dropping the option; asking
 * for best effort ({@link PageAllocatorBuilder#withBestEffort(boolean)}) turns it into a
 * downgrade that {@link Region#appliedOptions()} reports.
 */
public final class UnsupportedOptionException extends UnsupportedOperationException {
    private static final long serialVersionUID = 1L;

    private final String option;

    /**
     * Creates an exception.
     *
     * @param operation the operation with its arguments
     * @param option the option refused, e.g. {@code hugePages=explicit(2 MiB)}
     * @param reason why the platform cannot honour it
     */
    public UnsupportedOptionException(String operation, String option, String reason) {
        super(operation + ": " + option + " is not available: " + reason);
        this.option = option;
    }

    /** {@return the option refused, e.g. {@code hugePages=explicit(2 MiB)}} */
    public String option() {
        return option;
    }
}
