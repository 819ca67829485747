package dev.pagealloc.cli;

/** How a tour step prints the kernel's mappings of a range, with what to expect (the tour's own view). */
@FunctionalInterface
interface MapsPrinter {
    /**
     * Prints the lines of {@code /proc/self/maps} that meet {@code [start, end)}, where there is one.
     *
     * @param start the first address
     * @param end the address after the last
     * @param expectation what the reader should see
     */
    void show(long start, long end, String expectation);
}
