package dev.pagealloc.linux;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pagealloc.api.AllocatorStatistics;
import dev.pagealloc.api.DeferredUnmap;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.ViewSharing;
import dev.pagealloc.testkit.ChildJvm;
import dev.pagealloc.testkit.Collections;
import dev.pagealloc.testkit.ProcMaps;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The {@link DeferredUnmap} release mode judged by the kernel: release drops the pages ({@code smaps} Rss 0,
 * {@code madvise(MADV_DONTNEED)}: "subsequent accesses of pages in the range will succeed, but will result in
 * ... zero-fill-on-demand pages for anonymous private mappings", madvise(2)) and keeps the mapping
 * ({@code /proc/self/maps}); the range is gone once the holder is collected; releases faster than collections
 * do not run out of mappings (child JVM); a reservation refused under {@code prlimit --as} (setrlimit(2)
 * RLIMIT_AS: mmap "will fail with the error ENOMEM upon exceeding this limit") succeeds after the collection
 * the mode asks for (child JVM).
 */
// Binds and calls the real Linux kernel (or reads its /proc); other OSes run their own backends.
@EnabledOnOs(OS.LINUX)
class LinuxDeferredUnmapTest {
    private static final long PAGE = 64 * 1024;
    private static final Path PRLIMIT = Path.of("/usr/bin/prlimit");

    private static PageAllocator allocator() {
        return PageAllocator.builder().withPlatform("linux").withPageBytes(PAGE).withViewSharing(ViewSharing.SHARED)
                .build();
    }

    @Test
    void shouldDropThePagesOnReleaseKeepTheMappingAndUnmapOnceTheHolderIsUnreachable() throws InterruptedException {
        PageAllocator allocator = allocator();
        Released released = writeAndRelease(allocator);
        DeferredUnmap unmap = released.unmap();
        AllocatorStatistics statistics = allocator.statistics();
        assertEquals(1, statistics.liveRegions(), "a live region to its allocator until the unmap");
        assertEquals(4 * PAGE, statistics.committedBytes(), "its committed bytes stay charged until the unmap");
        collectUntilUnmapped(unmap);
        awaitHole(released.base());
        assertEquals(0, allocator.statistics().liveRegions());
    }

    /** A released region's mode and base, which refer to no holder. */
    private record Released(DeferredUnmap unmap, long base) {}

    /** {@return a region written and released}, its holder unreachable once it returns */
    private static Released writeAndRelease(PageAllocator allocator) {
        Object holder = new Object();
        DeferredUnmap unmap = DeferredUnmap.allocate(allocator, 4, 16);
        unmap.unmapWhenUnreachable(holder);
        Region region = unmap.region();
        long base = region.address();
        MemorySegment view = region.segment();
        for (long offset = 0; offset < 4 * PAGE; offset += 4096) {
            view.set(JAVA_LONG, offset, offset + 1);
        }
        assertEquals(4 * PAGE, ProcMaps.sum(base, base + 4 * PAGE, "Rss"), "written pages are resident");
        unmap.release();
        assertEquals(0, ProcMaps.sum(base, base + 4 * PAGE, "Rss"), "release drops the pages");
        assertEquals(List.of("rw-p:" + 4 * PAGE), ProcMaps.permissions(base, base + 4 * PAGE),
                "the mapping stays, read-write, while the holder is reachable");
        assertEquals(0L, view.get(JAVA_LONG, 4096), "a stale view reads zero");
        Reference.reachabilityFence(holder);
        return new Released(unmap, base);
    }

    @Test
    void shouldUnmapARegionNeverReleasedOnceItsHolderIsUnreachable() throws InterruptedException {
        DeferredUnmap unmap = DeferredUnmap.allocate(allocator(), 1, 16);
        long base = unmap.region().address();
        unmap.region().segment().set(JAVA_LONG, 0, 7L);
        unmap.unmapWhenUnreachable(new Object());
        collectUntilUnmapped(unmap);
        assertFalse(unmap.isReleased());
        awaitHole(base);
    }

    @Test
    void shouldNotRunOutOfMappingsWhenRegionsAreReleasedFasterThanCollected() {
        // Each reservation takes about three mappings; 30,000 of them pass vm.max_map_count's default 65,530, and
        // 30,000 of 4 GiB pass the 128 TiB of a 47-bit address space.
        ChildJvm.Result result = ChildJvm.of(DeferredUnmapChild.class).jvmOption("-Xmx2g").jvmOption("-Xmn1g")
                .timeout(Duration.ofMinutes(3)).run("cycles", "30000");
        assertEquals(0, result.exitCode(), result::describe);
        Matcher m = Pattern.compile(DeferredUnmapChild.DONE + " collections=(\\d+)").matcher(result.stdout());
        assertTrue(m.find(), result::describe);
        // A collection whenever 2,048 wait and 2,048 were released since the last (14 in 30,000, whether the unmapping
        // keeps up or lags); -Xmn1g makes almost none by itself. The figures go to the report.
        assertTrue(Long.parseLong(m.group(1)) >= 30_000 / DeferredUnmap.COLLECT_AFTER - 2,
                "a collection asked for every " + DeferredUnmap.COLLECT_AFTER + " releases: " + result.stdout());
        System.out.println(result.stdout());
    }

    @Test
    void shouldKeepManyThreadsWithinTheAddressSpaceWhenTheyReleaseFasterThanOneThreadUnmaps() {
        // 4 x 6,000 reservations of 6 GiB (a linear memory's) are 141 TiB, past the 128 TiB a 47-bit address space
        // has: without the throttle and the allocations' own unmapping, one unmapping thread falls behind four
        // allocating ones and a reservation is refused with ENOMEM (as the 20-minute soak found).
        ChildJvm.Result result = ChildJvm.of(DeferredUnmapChild.class).jvmOption("-Xmx1g")
                .timeout(Duration.ofMinutes(4)).run("threads", "6000");
        assertEquals(0, result.exitCode(), result::describe);
        Matcher m = Pattern.compile("MOST-WAITING-BYTES (\\d+)").matcher(result.stdout());
        assertTrue(m.find(), result::describe);
        // The throttle starts at 16 TiB; what the threads release while one of them collects comes on top.
        assertTrue(Long.parseLong(m.group(1)) < 4 * DeferredUnmap.THROTTLE_RESERVED_BYTES, result::describe);
        System.out.println(result.stdout());
    }

    @Test
    void shouldRetryARefusedReservationAfterACollection() {
        assumeTrue(Files.isExecutable(PRLIMIT), "needs util-linux's prlimit");
        long limit = 2L << 30;
        ChildJvm.Result result = ChildJvm.of(DeferredUnmapChild.class)
                .launcher(PRLIMIT.toString(), "--as=" + limit + ":" + limit, "--")
                .jvmOption("-Xmx64m").jvmOption("-XX:ReservedCodeCacheSize=32m")
                .jvmOption("-XX:CompressedClassSpaceSize=64m").jvmOption("-XX:+UseSerialGC")
                .timeout(Duration.ofMinutes(2)).run("address-space", Long.toString(limit));
        assertFalse(result.crashed(), result::describe);
        assertEquals(0, result.exitCode(), result::describe);
        String out = result.stdout();
        assertTrue(Pattern.compile(
                "REFUSED allocate\\(initialPages=1, maximumPages=\\d+\\).*mmap\\(.*ENOMEM \\(12\\).*")
                .matcher(out).find(), "the limit refuses a second region beside the first: " + result.describe());
        assertTrue(out.contains("ALLOCATED pages=1"), result::describe);
        Matcher m = Pattern.compile(DeferredUnmapChild.DONE + " collections=(\\d+) retried=(\\d+)").matcher(out);
        assertTrue(m.find(), result::describe);
        assertTrue(Long.parseLong(m.group(1)) >= 1 && Long.parseLong(m.group(2)) >= 1,
                "the mode's allocation was refused, collected and retried: " + out);
    }

    /** Waits, up to 20 s, for the range at {@code base} to be unmapped (a view's batch closes within a second). */
    private static void awaitHole(long base) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (ProcMaps.mappedBytes(base, PAGE) != 0 && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(20);
        }
        assertEquals(0, ProcMaps.mappedBytes(base, PAGE), "the range is a hole in /proc/self/maps");
    }

    private static void collectUntilUnmapped(DeferredUnmap unmap) throws InterruptedException {
        Collections.collectUntil(unmap::isUnmapped, Duration.ofSeconds(20));
        assertTrue(unmap.isUnmapped(), "deallocated the region once its holder was unreachable");
    }
}
