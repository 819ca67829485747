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
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Run by {@link LinuxDeferredUnmapTest} in a child JVM. {@code cycles N}: allocates, writes and releases N
 * held regions in a row with almost no garbage made, more than {@code vm.max_map_count} allows mapped at once
 * (the mode's collection after many must keep it going). {@code address-space LIMIT}: under
 * {@code prlimit --as=LIMIT}, a region so large that a second does not fit beside it is released while its
 * holder is reachable, a plain allocation of another is refused (the limit bites), then the holder is dropped
 * and the mode's allocation must succeed after a collection. {@code threads N}: four threads each allocate,
 * write and release N held regions of 6 GiB reserved (a linear memory's size), together far more than the
 * 128 TiB address space, faster than one thread unmaps them (the mode's throttle and the allocations' own
 * unmapping must keep them within it). Prints {@link #DONE} and the mode's counts.
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
    public static void main(String[] args) throws IOException, InterruptedException {
        PageAllocator allocator = PageAllocator.builder().withPlatform("linux").withPageBytes(PAGE)
                .withViewSharing(ViewSharing.SHARED).build();
        long number = Long.parseLong(args[1]);
        switch (args[0]) {
            case "cycles" -> cycles(allocator, number);
            case "address-space" -> addressSpace(allocator, number);
            case "threads" -> threads(allocator, number);
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

    private static void threads(PageAllocator allocator, long perThread) throws InterruptedException {
        AtomicLong mostWaitingBytes = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                try {
                    for (long i = 0; i < perThread; i++) {
                        long waiting = DeferredUnmap.statistics().awaitingReservedBytes();
                        mostWaitingBytes.accumulateAndGet(waiting, Math::max);
                        Object holder = new Object();
                        DeferredUnmap unmap = DeferredUnmap.allocate(allocator, 1, 6L * 16384); // 6 GiB
                        unmap.unmapWhenUnreachable(holder);
                        unmap.region().segment().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 100, (byte) 1);
                        unmap.release();
                        Reference.reachabilityFence(holder);
                    }
                } catch (RuntimeException | Error e) {
                    failure.compareAndSet(null, e);
                }
            });
            threads[t].start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        if (failure.get() != null) {
            failure.get().printStackTrace(System.out);
            System.exit(4);
        }
        System.out.println("MOST-WAITING-BYTES " + mostWaitingBytes.get());
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
