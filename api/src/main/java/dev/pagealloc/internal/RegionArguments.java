package dev.pagealloc.internal;

/**
 * The argument and state checks of a region's range operations, each refusing before any system call
 * with the operation, the offending value and the limit in its message.
 *
 * <p>Stateless and thread-safe; the caller holds the region's monitor over the {@link PageStates} it passes.
 */
final class RegionArguments {
    private RegionArguments() {}

    /**
     * Checks that {@code [byteOffset, +byteLength)} is granule-aligned and within the committed bytes.
     *
     * @throws IllegalArgumentException if {@code byteLength < 0} or either value is misaligned
     * @throws IndexOutOfBoundsException if the range passes {@code committedBytes}
     */
    static void checkRange(Operation operation, long byteOffset, long byteLength, long granuleBytes,
            long committedBytes) {
        if (byteLength < 0) {
            throw new IllegalArgumentException(operation + ": byteLength must not be negative");
        }
        if (!PageMath.isAligned(byteOffset, granuleBytes) || !PageMath.isAligned(byteLength, granuleBytes)) {
            throw new IllegalArgumentException(operation + ": byteOffset and byteLength must be multiples of the "
                    + "protection granule " + granuleBytes + " bytes");
        }
        if (byteOffset < 0 || byteOffset > committedBytes || byteLength > committedBytes - byteOffset) {
            throw new IndexOutOfBoundsException(operation + ": outside the committed range [0, committedBytes="
                    + committedBytes + ")");
        }
    }

    /**
     * With a page unit smaller than the granule, new pages can start inside the last committed
     * granule, {@code [start, end)}. They are readable, writable and zero only if that granule is
     * {@code READ_WRITE}: its protection cannot change for the new pages alone, and the pages it
     * already holds must keep theirs, so any other state is refused, changing nothing.
     */
    static void refuseSharedTailGranule(Operation operation, PageStates states, long granuleBytes, long start,
            long end) {
        if (start >= end) {
            return;
        }
        for (PageState state : states.statesIn(start, end)) {
            if (state != PageState.READ_WRITE) {
                long granule = start & -granuleBytes;
                throw new IllegalStateException(operation + ": the new pages would start inside the granule at"
                        + " byteOffset=" + granule + " (" + granuleBytes + " bytes), which the region's last pages"
                        + " share and which is " + (state == PageState.DECOMMITTED ? "decommitted" : "protected "
                        + state.protection()) + "; make it READ_WRITE first ("
                        + (state == PageState.DECOMMITTED ? "recommit" : "protect") + ")");
            }
        }
    }

    /** Refuses a range that holds a decommitted page, naming the first. */
    static void refuseDecommitted(Operation operation, PageStates states, long start, long end, String advice) {
        long decommitted = states.firstIn(start, end, PageState.DECOMMITTED);
        if (decommitted >= 0) {
            throw new IllegalStateException(operation + ": the page at byteOffset=" + decommitted
                    + " is decommitted; " + advice);
        }
    }
}
