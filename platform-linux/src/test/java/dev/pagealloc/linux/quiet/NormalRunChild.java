package dev.pagealloc.linux.quiet;

import dev.pagealloc.api.MaximumPagesExceededException;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;

/**
 * The child JVM of {@code LinuxQuietRunTest}: a normal run, every region operation once, a refused
 * grow, each region deallocated, then collections that would run a leak report if one were due.
 * Prints nothing itself.
 */
public final class NormalRunChild {
    private NormalRunChild() {}

    /**
     * Runs.
     *
     * @param args unused
     * @throws InterruptedException never
     */
    public static void main(String[] args) throws InterruptedException {
        PageAllocator allocator = PageAllocator.builder().withPlatform("linux").withPageBytes(4096).build();
        for (int i = 0; i < 200; i++) {
            try (Region region = allocator.allocate(2, 8)) {
                region.grow(2);
                region.protect(0, 4096, Protection.READ);
                region.decommit(4096, 4096);
                region.recommit(4096, 4096);
                region.discard(2 * 4096, 4096);
                try {
                    region.grow(100);
                } catch (MaximumPagesExceededException expected) {
                    // refused, as asked; a Flight Recorder event at most, never output
                }
            }
        }
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(20);
        }
    }
}
