package dev.pagealloc.linux;

import dev.pagealloc.api.DeferredUnmap;
import dev.pagealloc.api.DeferredUnmapStatistics;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PageAllocatorException;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.ViewSharing;
import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run by {@link LinuxDeferredUnmapTest} in a child JVM. {@code cycles N}: allocates, writes and releases N
 * held regions in a row with almost no garbage made, more than {@code vm.max_map_count} allows mapped at once
 * (the mode's collection after many must keep it going). {@code address-space LIMIT}: under
 * {@code prlimit --as=LIMIT}, a region so large that a second does not fit beside it is released while its
 * holder is reachable, a plain allocation of another is refused (the limit bites), then the holder is dropped
 * and the mode's allocation must succeed after a collection. Prints {@link #DONE} and the mode's counts.
 */
public final class DeferredUnmapChild {
    /** The marker of a clean end. */
    static final String DONE = "deferred-unmap done:";
    private static final long PAGE = 64 * 1024;

    private DeferredUnmapChild() {}

    /**
     * Runs one case.
     *
     * @param args the case and its number
     * @throws IOException if {@code /proc/self/status} cannot be read
     */
    public static void main(String[] args) throws IOException {
        PageAllocator allocator = PageAllocator.builder().withPlatform("linux").withPageBytes(PAGE)
                .withViewSharing(ViewSharing.SHARED).build();
        long number = Long.parseLong(args[1]);
        switch (args[0]) {
            case "cycles" -> cycles(allocator, number);
            case "address-space" -> addressSpace(allocator, number);
            default -> throw new IllegalArgumentException(args[0]);
        }
        DeferredUnmapStatistics statistics = DeferredUnmap.statistics();
        System.out.println(DONE + " collections=" + statistics.collections() + " retried="
                + statistics.retriedAllocations() + " unmapped=" + statistics.unmappedRegions());
    }

    private static void cycles(PageAllocator allocator, long count) {
        long mostWaiting = 0;
        for (long i = 0; i < count; i++) {
            mostWaiting = Math.max(mostWaiting, DeferredUnmap.statistics().awaitingRegions());
            Object holder = new Object();
            DeferredUnmap unmap = DeferredUnmap.allocate(allocator, 1, 65536); // 4 GiB and guards each
            unmap.unmapWhenUnreachable(holder);
            unmap.region().segment().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 100, (byte) 1);
            unmap.release();
            Reference.reachabilityFence(holder);
        }
        System.out.println("MOST-WAITING " + mostWaiting);
    }

    private static void addressSpace(PageAllocator allocator, long limitBytes) throws IOException {
        long freeBytes = limitBytes - vmSizeBytes();
        long pages = freeBytes * 6 / 10 / PAGE; // one fits, two do not
        Object holder = new Object();
        DeferredUnmap first = DeferredUnmap.allocate(allocator, 1, pages);
        first.unmapWhenUnreachable(holder);
        first.release();
        try {
            Region refused = allocator.allocate(1, pages);
            refused.deallocate();
            System.out.println("NOT-REFUSED pages=" + pages + " free=" + freeBytes);
            System.exit(3);
        } catch (PageAllocatorException e) {
            System.out.println("REFUSED " + e.getMessage());
        }
        Reference.reachabilityFence(holder);
        holder = null;
        DeferredUnmap second = DeferredUnmap.allocate(allocator, 1, pages); // after a collection and retries
        System.out.println("ALLOCATED pages=" + second.region().pages() + " of " + pages + " maximum");
        second.release();
    }

    private static long vmSizeBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmSize:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmSize in /proc/self/status");
    }
}
