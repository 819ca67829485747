package dev.pagealloc.linux;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.AllocatorStatistics;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.ViewQuarantine;
import dev.pagealloc.api.ViewSharing;
import dev.pagealloc.testkit.KernelView;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Shared views of deallocated regions retired in batches ({@link ViewQuarantine}), judged by the
 * kernel: {@code /proc/self/maps} for what is still mapped and how, {@code mincore} for what is
 * resident.
 */
// Binds and calls the real Linux kernel (or reads its /proc); other OSes run their own backends.
@EnabledOnOs(OS.LINUX)
class LinuxViewQuarantineTest {
    private static final long PAGE = 4096;
    private static final long PATTERN = 0x5A5A_5A5A_5A5A_5A5AL;

    private final KernelView kernel = new ProcKernelView();

    private static PageAllocator allocator(ViewQuarantine quarantine) {
        return PageAllocator.builder().withPlatform("linux").withPageBytes(PAGE).withViewSharing(ViewSharing.SHARED)
                .withViewQuarantine(quarantine).build();
    }

    private static long reservation(Region region) {
        return region.address() - region.guardBeforeBytes();
    }

    private static MemorySegment writtenView(Region region) {
        MemorySegment view = region.segment();
        for (long offset = 0; offset < view.byteSize(); offset += Long.BYTES) {
            view.set(JAVA_LONG, offset, PATTERN);
        }
        return view;
    }

    /** Waits, up to ten seconds, for the quarantine thread to bring the allocator's count to {@code expected}. */
    private static void awaitQuarantined(PageAllocator allocator, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (allocator.statistics().quarantinedRegions() != expected && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(expected, allocator.statistics().quarantinedRegions(), "quarantined regions");
    }

    private void assertUnmapped(Region region, String what) {
        assertEquals(List.of(), kernel.mappings(reservation(region), region.reservedBytes()), what);
    }

    @Test
    void shouldKeepADeallocatedRegionMappedZeroAndUnusedByOthersUntilItsBatchCloses() throws InterruptedException {
        PageAllocator allocator = allocator(new ViewQuarantine(3, 1L << 40, Duration.ofHours(1)));
        Region first = allocator.allocate(4, 4);
        MemorySegment stale = writtenView(first);
        assertEquals(4 * PAGE, kernel.residentBytes(first.address(), 4 * PAGE).orElseThrow(), "written, resident");

        first.deallocate();

        assertFalse(first.isAlive());
        // Checked before any stale read: reading a discarded page maps the shared zero page again.
        assertEquals(0, kernel.residentBytes(first.address(), 4 * PAGE).orElseThrow(),
                "the contents went back to the kernel at once");
        assertEquals(0, stale.get(JAVA_LONG, 0), "a stale view reads zero, never faults");
        assertEquals(0, stale.get(JAVA_LONG, 4 * PAGE - Long.BYTES));
        assertEquals(
                List.of(new KernelView.Mapping(first.address(), first.address() + 4 * PAGE, Protection.READ_WRITE)),
                kernel.mappings(first.address(), 4 * PAGE), "still mapped with the protection its views were made for");
        AllocatorStatistics one = allocator.statistics();
        assertEquals(1, one.quarantinedRegions());
        assertEquals(first.reservedBytes(), one.quarantinedBytes());
        assertEquals(first.reservedBytes(), one.reservedBytes(), "still reserved");
        assertEquals(0, one.committedBytes(), "but not committed");
        assertEquals(0, one.liveRegions());
        assertEquals(1, one.deallocations());

        // The next regions take over the open arena, one at a time; none gets the quarantined range.
        Region second = allocator.allocate(1, 1);
        Region third = allocator.allocate(1, 1);
        for (Region next : List.of(second, third)) {
            assertTrue(reservation(next) >= reservation(first) + first.reservedBytes()
                    || reservation(next) + next.reservedBytes() <= reservation(first),
                    "a quarantined range is not reused");
            writtenView(next);
            next.deallocate();
        }
        // Three dead regions fill the batch: the quarantine thread closes it (one handshake invalidates
        // every stale view), then releases all three.
        awaitQuarantined(allocator, 0);
        assertThrows(IllegalStateException.class, () -> stale.get(JAVA_LONG, 0));
        for (Region region : List.of(first, second, third)) {
            assertUnmapped(region, "released with its batch");
        }
        AllocatorStatistics none = allocator.statistics();
        assertEquals(0, none.quarantinedRegions());
        assertEquals(0, none.quarantinedBytes());
        assertEquals(0, none.reservedBytes());
    }

    @Test
    void shouldCloseOnlyItsOwnArenaOnANarrowingProtectAndReleaseTheDeadItHeld() {
        PageAllocator allocator = allocator(new ViewQuarantine(8, 1L << 40, Duration.ofHours(1)));
        Region dead = allocator.allocate(1, 1);
        MemorySegment deadView = writtenView(dead);
        dead.deallocate();
        Region heir = allocator.allocate(1, 1); // takes over the arena that holds `dead`
        Region other = allocator.allocate(1, 1);
        MemorySegment heirView = writtenView(heir);
        MemorySegment otherView = writtenView(other);

        heir.protect(0, PAGE, Protection.READ);

        assertThrows(IllegalStateException.class, () -> heirView.get(JAVA_LONG, 0), "its own views are invalidated");
        assertThrows(IllegalStateException.class, () -> deadView.get(JAVA_LONG, 0), "and the dead region's it held");
        assertUnmapped(dead, "the dead region is released with that arena");
        assertEquals(PATTERN, otherView.get(JAVA_LONG, 0), "another live region's views stay valid");
        assertEquals(0, allocator.statistics().quarantinedRegions());
        heir.deallocate();
        other.deallocate();
    }

    @Test
    void shouldDeallocateASharedRegionFromAnotherThreadWithoutAHandshakeAndReleaseItOnceItAged() throws Exception {
        PageAllocator allocator = allocator(new ViewQuarantine(64, 1L << 40, Duration.ofMillis(50)));
        Region region = allocator.allocate(2, 2);
        MemorySegment stale = writtenView(region);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread other = Thread.ofPlatform().start(() -> {
            try {
                region.deallocate();
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        other.join();
        assertEquals(null, failure.get(), "any thread may deallocate a shared region");
        assertEquals(0, stale.get(JAVA_LONG, 0));
        assertEquals(1, allocator.statistics().quarantinedRegions());

        // No allocator call follows: the quarantine's timer releases the batch once it has aged.
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (allocator.statistics().quarantinedRegions() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, allocator.statistics().quarantinedRegions(), "released by the timer");
        assertThrows(IllegalStateException.class, () -> stale.get(JAVA_LONG, 0));
        assertUnmapped(region, "released once its batch aged");
    }

    @Test
    void shouldReleaseEveryFreeArenaWhenTheQuarantineAsAWholeReachesSixtyFourBatches() throws InterruptedException {
        PageAllocator allocator = allocator(new ViewQuarantine(2, 1L << 40, Duration.ofHours(1)));
        List<Region> live = new java.util.ArrayList<>();
        for (int i = 0; i < 128; i++) { // all alive at once: 128 arenas, each to collect one dead region
            Region region = allocator.allocate(1, 1);
            writtenView(region);
            live.add(region);
        }
        for (int i = 0; i < 127; i++) {
            live.get(i).deallocate();
        }
        assertEquals(127, allocator.statistics().quarantinedRegions(), "no arena is full, none aged");
        assertEquals(1, kernel.mappings(live.getFirst().address(), PAGE).size(), "still mapped");

        live.get(127).deallocate(); // the 128th dead region: 64 batches of 2 in all

        awaitQuarantined(allocator, 0);
        for (Region region : live) {
            assertUnmapped(region, "released with every free arena");
        }
    }

    @Test
    void shouldReleaseABatchOfAdjacentRegionsTogetherAndLeaveTheirLiveNeighbourMapped() throws InterruptedException {
        PageAllocator allocator = allocator(new ViewQuarantine(4, 1L << 40, Duration.ofHours(1)));
        Region neighbour = allocator.allocate(1, 1);
        MemorySegment neighbourView = writtenView(neighbour);
        List<Region> dead = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) { // one at a time: each takes over the arena of the one before
            Region region = allocator.allocate(2, 2);
            writtenView(region);
            region.deallocate();
            dead.add(region);
        }

        awaitQuarantined(allocator, 0);

        for (Region region : dead) {
            assertUnmapped(region, "released with its batch");
        }
        assertEquals(List.of(new KernelView.Mapping(neighbour.address(), neighbour.address() + PAGE,
                Protection.READ_WRITE)), kernel.mappings(neighbour.address(), PAGE), "the live neighbour stays");
        assertEquals(PATTERN, neighbourView.get(JAVA_LONG, 0), "its views too");
        assertEquals(0, allocator.statistics().reservedBytes() - neighbour.reservedBytes());
        neighbour.deallocate();
    }

    @Test
    void shouldReleaseAtOnceWithoutAQuarantine() {
        PageAllocator allocator = allocator(ViewQuarantine.NONE);
        Region region = allocator.allocate(1, 1);
        MemorySegment view = writtenView(region);
        region.deallocate();
        assertThrows(IllegalStateException.class, () -> view.get(JAVA_LONG, 0));
        assertUnmapped(region, "released by deallocate");
        assertEquals(0, allocator.statistics().quarantinedRegions());
    }

    @Test
    void shouldReleaseARegionThatNeverHadAViewAtOnce() {
        PageAllocator allocator = allocator(ViewQuarantine.DEFAULT);
        Region region = allocator.allocate(1, 1);
        region.deallocate();
        assertUnmapped(region, "no view can be stale, so nothing waits");
        assertEquals(0, allocator.statistics().reservedBytes());
    }
}
