package dev.pagealloc.api;

import dev.pagealloc.internal.observe.RegionEvents;

/**
 * A grow that would pass the region's maximum. Nothing is committed; the region is unchanged.
 * {@link Region#tryGrow(long)} reports the same case as {@code -1}, as WebAssembly's
 * {@code memory.grow} does.
 */
public final class MaximumPagesExceededException extends PageAllocatorException {
    private static final long serialVersionUID = 1L;

    /** The region's size before the call, in pages. */
    private final long pages;
    /** The pages asked for. */
    private final long additionalPages;
    /** The region's maximum, in pages. */
    private final long maximumPages;

    /**
     * Creates an exception.
     *
     * @param operation the operation with its arguments
     * @param pages the region's pages before the call
     * @param additionalPages the pages asked for
     * @param maximumPages the region's maximum, in pages
     */
    public MaximumPagesExceededException(String operation, long pages, long additionalPages, long maximumPages) {
        super(operation, "pages=" + pages + " + additionalPages=" + additionalPages
                + " exceeds maximumPages=" + maximumPages, null);
        this.pages = pages;
        this.additionalPages = additionalPages;
        this.maximumPages = maximumPages;
        RegionEvents.refused(this); // last: a JFR event reads the finished exception
    }

    /** {@return the region's pages before the call} */
    public long pages() {
        return pages;
    }

    /** {@return the pages asked for} */
    public long additionalPages() {
        return additionalPages;
    }

    /** {@return the region's maximum, in pages} */
    public long maximumPages() {
        return maximumPages;
    }
}
