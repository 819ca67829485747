package dev.pagealloc.api;

/**
 * Advice about how committed pages will be used, given through {@link Region#advise}. Advice never
 * changes a page's protection or a view's bounds; what it may do to contents is said per value.
 * Which values a platform takes is answered by {@code PageAllocator.features()} and, per value, by the
 * refusal {@link Region#advise} throws.
 *
 * <p>Immutable and thread-safe.
 */
public enum Advice {
    /**
     * The pages will be read soon: start bringing them in. Contents are kept. Linux and macOS
     * {@code madvise(MADV_WILLNEED)}; the embedded buffer is always resident, so it does nothing there.
     */
    WILL_NEED,
    /**
     * The contents are no longer needed: the memory may go back to the system now. Afterwards each
     * page reads either its old bytes or zero (never another owner's data) until written. Linux
     * {@code madvise(MADV_DONTNEED)} (zero at once), macOS {@code madvise(MADV_FREE_REUSABLE)} (the
     * pages leave the footprint; old bytes may remain), Windows {@code DiscardVirtualMemory} (read-write
     * pages only).
     */
    DONT_NEED,
    /**
     * Pages given back with {@link #DONT_NEED} are taken into use again. macOS
     * {@code madvise(MADV_FREE_REUSE)}, which puts them back in the footprint; elsewhere nothing needs
     * to happen, and the call does nothing.
     */
    REUSE,
    /** Leave the pages out of core dumps (Linux {@code madvise(MADV_DONTDUMP)}, {@code dd} in smaps). */
    DONT_DUMP,
    /** Put the pages back into core dumps (Linux {@code madvise(MADV_DODUMP)}). */
    DO_DUMP,
    /**
     * Back the pages with transparent huge pages where possible (Linux {@code madvise(MADV_HUGEPAGE)},
     * {@code hg} in smaps). Contents are kept.
     */
    HUGE_PAGES,
    /** Never back the pages with transparent huge pages (Linux {@code madvise(MADV_NOHUGEPAGE)}, {@code nh}). */
    NO_HUGE_PAGES
}
