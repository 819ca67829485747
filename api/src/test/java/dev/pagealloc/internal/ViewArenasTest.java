package dev.pagealloc.internal;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.ViewQuarantine;
import dev.pagealloc.api.ViewSharing;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * How the quarantine's batches behave while the quarantine thread is busy: they grow rather than
 * multiply, and the thread then closes them. The thread is held busy by a task of the test's own.
 */
class ViewArenasTest {
    private static final int BATCH = 4;

    private final FakeVirtualMemory memory = new FakeVirtualMemory();
    private final PageAllocator allocator = PageAllocator.builder()
            .withProvider(TestProviders.of("fake", memory))
            .withPageBytes(4096)
            .withViewSharing(ViewSharing.SHARED)
            .withViewQuarantine(new ViewQuarantine(BATCH, 1L << 40, Duration.ofHours(1)))
            .build();

    private static void awaitQuarantined(PageAllocator allocator, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (allocator.statistics().quarantinedRegions() != expected && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(expected, allocator.statistics().quarantinedRegions(), "quarantined regions");
    }

    @Test
    void shouldGrowAFullBatchWhileTheQuarantineThreadIsBusyAndCloseItOnceThatThreadIsFree() throws Exception {
        CountDownLatch busy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ViewArenas.runOnQuarantineThread(() -> {
            busy.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        busy.await();
        List<MemorySegment> stale = new ArrayList<>();
        try {
            for (int i = 0; i < 3 * BATCH; i++) { // one at a time: each takes over the arena of the one before
                Region region = allocator.allocate(1, 1);
                MemorySegment view = region.segment();
                view.set(JAVA_LONG, 0, 42);
                stale.add(view);
                region.deallocate();
            }
            assertEquals(3 * BATCH, allocator.statistics().quarantinedRegions(), "nothing closed while busy");
            for (MemorySegment view : stale) {
                assertEquals(0, view.get(JAVA_LONG, 0), "a stale view reads zero meanwhile");
            }
            // The next region takes over the same, grown arena: its narrowing protect closes it, on this
            // thread, and releases all the dead regions it held at once.
            Region heir = allocator.allocate(1, 1);
            heir.segment().set(JAVA_LONG, 0, 1);
            heir.protect(0, 4096, Protection.READ);
            assertEquals(0, allocator.statistics().quarantinedRegions(), "one arena held all " + 3 * BATCH);
            for (MemorySegment view : stale) {
                assertThrows(IllegalStateException.class, () -> view.get(JAVA_LONG, 0));
            }
            heir.deallocate(); // released at once: its views are closed already
        } finally {
            release.countDown();
        }
        assertEquals(0, allocator.statistics().reservedBytes());
        assertEquals(0, memory.liveReservations());
    }

    @Test
    void shouldCloseAFullBatchOnTheQuarantineThreadAfterTheDeallocationThatFilledItReturned() throws Exception {
        CountDownLatch busy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ViewArenas.runOnQuarantineThread(() -> {
            busy.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        busy.await();
        List<MemorySegment> stale = new ArrayList<>();
        try {
            for (int i = 0; i < BATCH; i++) {
                Region region = allocator.allocate(1, 1);
                stale.add(region.segment());
                region.deallocate();
            }
            assertEquals(BATCH, allocator.statistics().quarantinedRegions(),
                    "the batch is full, and the deallocation that filled it returned without closing it");
            assertEquals(0, stale.getLast().get(JAVA_LONG, 0));
        } finally {
            release.countDown();
        }
        awaitQuarantined(allocator, 0);
        for (MemorySegment view : stale) {
            assertThrows(IllegalStateException.class, () -> view.get(JAVA_LONG, 0));
        }
        assertEquals(0, memory.liveReservations(), "and released");
    }
}
