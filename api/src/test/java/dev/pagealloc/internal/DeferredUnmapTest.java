package dev.pagealloc.internal;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.BudgetExceededException;
import dev.pagealloc.api.DeferredUnmap;
import dev.pagealloc.api.DeferredUnmapStatistics;
import dev.pagealloc.api.MemoryBudget;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.ViewSharing;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The deferred-unmap release mode's own logic against a fake kernel: release discards and keeps the region,
 * the region is deallocated once the holder is unreachable, the counts, the collection after many waiting
 * regions and the retry of a refused allocation after a collection. The kernel's view of the same is checked
 * by the Linux module's {@code LinuxDeferredUnmapTest}.
 */
class DeferredUnmapTest {
    private static final long PAGE = 4096;

    private final FakeVirtualMemory memory = new FakeVirtualMemory();

    private PageAllocator allocator(MemoryBudget budget) {
        var builder = PageAllocator.builder().withProvider(TestProviders.of("fake", memory)).withPageBytes(PAGE)
                .withViewSharing(ViewSharing.SHARED);
        return (budget == null ? builder : builder.withBudget(budget)).build();
    }

    @Test
    void shouldDeallocateAtOnceWhenReleasedWithoutAHolder() {
        DeferredUnmap unmap = DeferredUnmap.allocate(allocator(null), 1, 4);
        Region region = unmap.region();
        unmap.release();
        assertFalse(region.isAlive(), "no holder reads it raw: deallocated at once");
        assertTrue(unmap.isReleased());
        assertTrue(unmap.isUnmapped());
        unmap.release(); // idempotent
    }

    @Test
    void shouldDiscardOnReleaseKeepTheRegionAndCountItUntilTheUnmap() throws InterruptedException {
        PageAllocator allocator = allocator(null);
        DeferredUnmapStatistics before = DeferredUnmap.statistics();
        Object holder = new Object();
        DeferredUnmap unmap = DeferredUnmap.allocate(allocator, 2, 4);
        unmap.unmapWhenUnreachable(holder);
        Region region = unmap.region();
        MemorySegment view = region.segment();
        view.set(JAVA_LONG, PAGE, 42L);
        unmap.release();

        assertTrue(memory.calls.contains("discard(+" + 2 * PAGE + ")"), memory.calls::toString);
        assertTrue(region.isAlive(), "the mapping stays while the holder is reachable");
        assertEquals(0L, view.get(JAVA_LONG, PAGE), "the pages read zero");
        assertEquals(2 * PAGE, allocator.statistics().committedBytes(), "still charged until the unmap");
        DeferredUnmapStatistics released = DeferredUnmap.statistics();
        assertEquals(1, released.awaitingRegions() - before.awaitingRegions());
        assertEquals(region.reservedBytes(), released.awaitingReservedBytes() - before.awaitingReservedBytes());
        assertEquals(2 * PAGE, released.awaitingCommittedBytes() - before.awaitingCommittedBytes());
        IllegalStateException e = assertThrows(IllegalStateException.class, unmap::region);
        assertEquals("region(): the region was released (its unmap waits for its holder)", e.getMessage());
        assertThrows(IllegalStateException.class, () -> unmap.unmapWhenUnreachable(new Object()));
        int calls = memory.calls.size();
        unmap.release();
        assertEquals(calls, memory.calls.size(), "a second release does nothing");
        assertFalse(unmap.isUnmapped());

        Reference.reachabilityFence(holder);
        holder = null;
        collectUntil(unmap::isUnmapped);
        assertFalse(region.isAlive(), "deallocated once the holder was unreachable");
        assertEquals(0, allocator.statistics().liveRegions());
        assertEquals(0, allocator.statistics().committedBytes());
        assertEquals(allocator.statistics().quarantinedBytes(), allocator.statistics().reservedBytes(),
                "reserved only until its views' batch closes (the view quarantine)");
        DeferredUnmapStatistics after = DeferredUnmap.statistics();
        assertEquals(before.awaitingRegions(), after.awaitingRegions());
        assertEquals(before.awaitingReservedBytes(), after.awaitingReservedBytes());
        assertEquals(before.awaitingCommittedBytes(), after.awaitingCommittedBytes());
        assertEquals(1, after.unmappedRegions() - before.unmappedRegions());
        assertThrows(IllegalStateException.class, () -> region.grow(1), "the region's own error once deallocated");
    }

    @Test
    void shouldUnmapARegionNeverReleasedOnceItsHolderIsUnreachable() throws InterruptedException {
        DeferredUnmap unmap = DeferredUnmap.allocate(allocator(null), 1, 1);
        unmap.unmapWhenUnreachable(new Object());
        collectUntil(unmap::isUnmapped);
        assertFalse(unmap.isReleased());
    }

    @Test
    void shouldUnmapOnceEveryHolderIsUnreachable() throws InterruptedException {
        DeferredUnmap unmap = DeferredUnmap.allocate(allocator(null), 1, 1);
        Object kept = new Object();
        unmap.unmapWhenUnreachable(kept);
        unmap.unmapWhenUnreachable(new Object());
        unmap.release();
        for (int i = 0; i < 10; i++) {
            System.gc();
            TimeUnit.MILLISECONDS.sleep(10);
        }
        assertFalse(unmap.isUnmapped(), "one holder is still reachable");
        Reference.reachabilityFence(kept);
        kept = null;
        collectUntil(unmap::isUnmapped);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> unmap.unmapWhenUnreachable(new Object()));
        assertEquals("unmapWhenUnreachable(holder=java.lang.Object): the region was released", e.getMessage());
    }

    @Test
    void shouldTakeARegionAllocatedElsewhere() throws InterruptedException {
        Region region = allocator(null).allocate(1, 1);
        DeferredUnmap unmap = DeferredUnmap.of(region);
        assertSame(region, unmap.region());
        unmap.unmapWhenUnreachable(new Object());
        collectUntil(unmap::isUnmapped);
        assertFalse(region.isAlive());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> DeferredUnmap.of(region));
        assertTrue(e.getMessage().endsWith("): the region is deallocated"), e.getMessage());
    }

    @Test
    void shouldRefuseConfinedViews() {
        PageAllocator confined = PageAllocator.builder().withProvider(TestProviders.of("fake", memory))
                .withPageBytes(PAGE).build();
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> DeferredUnmap.allocate(confined, 1, 1));
        assertEquals("DeferredUnmap.allocate(allocator.viewSharing=CONFINED): the unmap may run on any "
                + "thread; use SHARED", refused.getMessage());
    }

    @Test
    void shouldRetryARefusedAllocationAfterACollectionWhileReleasedRegionsWait() {
        MemoryBudget budget = MemoryBudget.of("deferred", 2 * PAGE);
        PageAllocator allocator = allocator(budget);
        long retriedBefore = DeferredUnmap.statistics().retriedAllocations();
        releaseHeldAndDrop(allocator); // charges both pages until its holder is collected
        DeferredUnmap next = DeferredUnmap.allocate(allocator, 2, 2);
        assertTrue(next.region().isAlive());
        assertTrue(DeferredUnmap.statistics().retriedAllocations() > retriedBefore, "refused once, then retried");
        next.release();
    }

    @Test
    void shouldRefuseAtOnceWhenNothingWaits() throws InterruptedException {
        collectUntil(() -> DeferredUnmap.statistics().awaitingRegions() == 0);
        MemoryBudget budget = MemoryBudget.of("deferred", PAGE);
        long started = System.nanoTime();
        assertThrows(BudgetExceededException.class, () -> DeferredUnmap.allocate(allocator(budget), 2, 2));
        assertTrue(System.nanoTime() - started < TimeUnit.MILLISECONDS.toNanos(DeferredUnmap.RETRY_MILLIS),
                "no collection and no retries when no released region waits");
    }

    @Test
    void shouldAskForACollectionOnceManyReleasedRegionsWait() throws InterruptedException {
        collectUntil(() -> DeferredUnmap.statistics().awaitingRegions() == 0);
        PageAllocator allocator = allocator(null);
        List<Object> holders = new ArrayList<>();
        long collectionsBefore = DeferredUnmap.statistics().collections();
        for (int i = 0; i < DeferredUnmap.COLLECT_AFTER; i++) {
            Object holder = new Object();
            holders.add(holder);
            DeferredUnmap unmap = DeferredUnmap.allocate(allocator, 1, 1);
            unmap.unmapWhenUnreachable(holder);
            unmap.release();
        }
        assertEquals(collectionsBefore, DeferredUnmap.statistics().collections(), "none while fewer wait");
        DeferredUnmap.allocate(allocator, 1, 1).release();
        assertEquals(collectionsBefore + 1, DeferredUnmap.statistics().collections(), "one at the threshold");
        DeferredUnmap.allocate(allocator, 1, 1).release();
        assertEquals(collectionsBefore + 1, DeferredUnmap.statistics().collections(), "not again until that many more");
        holders.clear();
        collectUntil(() -> DeferredUnmap.statistics().awaitingRegions() == 0);
        assertEquals(0, allocator.statistics().liveRegions());
    }

    private static void releaseHeldAndDrop(PageAllocator allocator) {
        DeferredUnmap unmap = DeferredUnmap.allocate(allocator, 2, 2);
        Object holder = new Object();
        unmap.unmapWhenUnreachable(holder);
        unmap.release();
        Reference.reachabilityFence(holder); // collected only after the release
    }

    private static void collectUntil(BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            System.gc();
            TimeUnit.MILLISECONDS.sleep(10);
        }
        assertTrue(done.getAsBoolean(), "the unmap ran within 20 s");
    }

    @Test
    void shouldHandOutTheRegionItAllocated() {
        PageAllocator allocator = allocator(null);
        DeferredUnmap unmap = DeferredUnmap.allocate(allocator, 1, 2);
        Region region = unmap.region();
        assertSame(region, unmap.region());
        assertEquals(1, allocator.statistics().liveRegions());
        unmap.release();
        assertEquals(0, allocator.statistics().liveRegions());
    }
}
