package dev.pagealloc.heap.manual;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.ViewSharing;
import dev.pagealloc.testkit.ProcMaps;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ManualHeapTest {

    @Test
    void shouldRefuseDoubleFreeOfSmallAndLargeBlocks() {
        try (ManualHeap heap = Heaps.builder().build()) {
            MemorySegment small = heap.allocate(24);
            heap.free(small);
            var e = assertThrows(IllegalArgumentException.class, () -> heap.free(small));
            assertTrue(e.getMessage().startsWith("double free: the block at 0x"), e.getMessage());
            MemorySegment large = heap.allocate(100_000);
            heap.free(large);
            e = assertThrows(IllegalArgumentException.class, () -> heap.free(large));
            assertTrue(e.getMessage().contains("freed already (double free)"), e.getMessage());
            assertEquals(0, heap.statistics().liveBlocks());
        }
    }

    @Test
    void shouldLetExactlyOneOfTwoRacingFreesOfABlockThrough() throws Exception {
        // The allocating thread and another free the same block at once (the caller's race), round after
        // round: the compare-and-set on the block's state lets one through and refuses the other as a
        // double free, whichever thread's cache the block then joins, and the counts stay exact. The two
        // meet by spinning, then each waits a random few pauses, so that their frees overlap in some rounds
        // (a free with a plain store in place of the compare-and-set let both through within these rounds).
        int rounds = 20_000;
        try (ManualHeap heap = Heaps.builder().build()) {
            AtomicReference<MemorySegment> target = new AtomicReference<>();
            AtomicInteger arrived = new AtomicInteger();
            AtomicInteger done = new AtomicInteger();
            AtomicInteger freedByOther = new AtomicInteger();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread other = Thread.ofPlatform().daemon().start(() -> {
                try {
                    Random random = new Random(2);
                    for (int round = 0; round < rounds; round++) {
                        awaitAtLeast(arrived, 2 * round + 1, failure); // the block of this round is set
                        arrived.incrementAndGet();
                        pause(random.nextInt(8));
                        if (tryFree(heap, target.get())) {
                            freedByOther.incrementAndGet();
                        }
                        done.incrementAndGet();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            Random random = new Random(1);
            int freedByAllocator = 0;
            try {
                for (int round = 0; round < rounds; round++) {
                    target.set(heap.allocate(64));
                    arrived.incrementAndGet();
                    awaitAtLeast(arrived, 2 * round + 2, failure);
                    pause(random.nextInt(8));
                    if (tryFree(heap, target.get())) {
                        freedByAllocator++;
                    }
                    awaitAtLeast(done, round + 1, failure); // the other's free happens-before what follows
                    assertEquals(round + 1, freedByAllocator + freedByOther.get(), "frees let through, round " + round);
                }
            } catch (Throwable e) {
                failure.compareAndSet(null, e); // stops the other thread's wait
                throw e;
            }
            other.join();
            HeapStatistics statistics = heap.statistics();
            assertEquals(0, statistics.liveBlocks());
            assertEquals(0, statistics.liveBytes());
            assertEquals(rounds, statistics.frees());
        }
    }

    /** Spins until {@code counter} reaches {@code value}; throws once the other side has failed. */
    private static void awaitAtLeast(AtomicInteger counter, int value, AtomicReference<Throwable> failure) {
        while (counter.get() < value) {
            if (failure.get() != null) {
                throw new AssertionError("the other thread failed", failure.get());
            }
            Thread.onSpinWait();
        }
    }

    private static void pause(int times) {
        for (int i = 0; i < times; i++) {
            Thread.onSpinWait();
        }
    }

    /** {@return whether the free went through; false if refused as a double free} */
    private static boolean tryFree(ManualHeap heap, MemorySegment block) {
        try {
            heap.free(block, 64);
            return true;
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().startsWith("double free: the block at 0x"), e.getMessage());
            return false;
        }
    }

    @Test
    void shouldRefuseForeignAndInteriorPointersAndLeaveTheBlockLive() {
        try (ManualHeap heap = Heaps.builder().build(); Arena arena = Arena.ofConfined()) {
            MemorySegment block = heap.allocate(64);
            var e = assertThrows(IllegalArgumentException.class, () -> heap.free(arena.allocate(64)));
            assertTrue(e.getMessage().contains("not from this heap (foreign pointer)"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> heap.free(block.asSlice(16)));
            assertTrue(e.getMessage().contains("is 16 bytes into a 64-byte block"), e.getMessage());
            assertEquals(1, heap.statistics().liveBlocks());
            heap.free(block);
        }
    }

    @Test
    void shouldRefuseAPointerIntoASlabsUnusedTail() {
        try (ManualHeap heap = Heaps.builder().build()) {
            List<MemorySegment> blocks = new ArrayList<>();
            for (int i = 0; i < 12; i++) { // the 5120-byte class: 12 blocks a slab, then 4 KiB unused
                blocks.add(heap.allocate(5000));
            }
            long base = blocks.stream().mapToLong(MemorySegment::address).min().orElseThrow();
            long tail = base + 12 * 5120L;
            for (MemorySegment pointer : List.of(MemorySegment.ofAddress(tail), MemorySegment.ofAddress(tail + 16))) {
                var e = assertThrows(IllegalArgumentException.class, () -> heap.free(pointer));
                assertTrue(e.getMessage().contains("not the start of a block"), e.getMessage());
                e = assertThrows(IllegalArgumentException.class, () -> heap.reallocate(pointer, 8));
                assertTrue(e.getMessage().contains("not the start of a block"), e.getMessage());
            }
            assertEquals(12, heap.statistics().liveBlocks());
        }
    }

    @Test
    void shouldRefuseAWrongSizeAndKeepTheBlock() {
        try (ManualHeap heap = Heaps.builder().build()) {
            MemorySegment small = heap.allocate(40);
            var e = assertThrows(IllegalArgumentException.class, () -> heap.free(small, 48));
            assertTrue(e.getMessage().contains("has byteSize=40, free was passed byteSize=48"), e.getMessage());
            MemorySegment large = heap.allocate(70_000);
            e = assertThrows(IllegalArgumentException.class, () -> heap.free(large, 1));
            assertTrue(e.getMessage().contains("has byteSize=70000, free was passed byteSize=1"), e.getMessage());
            assertEquals(2, heap.statistics().liveBlocks());
            heap.free(small, 40);
            heap.free(large, 70_000);
            assertEquals(0, heap.statistics().liveBlocks());
        }
    }

    @Test
    void shouldRefuseBadRequestsNamingTheArgumentAndLimit() {
        try (ManualHeap heap = Heaps.builder().withMaximumBlockBytes(1 << 20).build()) {
            var e = assertThrows(IllegalArgumentException.class, () -> heap.allocate(16, 3, false));
            assertEquals("byteAlignment=3 must be a power of two at most MAXIMUM_ALIGNMENT=1048576", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> heap.allocate((1 << 20) + 1));
            assertEquals("byteSize=1048577 is out of range: 0 <= byteSize <= maximumBlockBytes=1048576",
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> heap.allocate(-1));
            assertTrue(e.getMessage().startsWith("byteSize=-1 is out of range"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> heap.allocateArray(1L << 40, 1L << 40));
            assertTrue(e.getMessage().startsWith("elementBytes=1099511627776 * count=1099511627776 overflows a long"),
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> heap.allocateArray(8, 1 << 20));
            assertTrue(e.getMessage().startsWith("byteSize=8388608 is out of range"), e.getMessage());
            assertEquals(0, heap.statistics().allocations());
        }
    }

    @Test
    void shouldRefuseAnAllocatorWithConfinedViews() {
        var e = assertThrows(IllegalArgumentException.class, () -> ManualHeap.builder(PageAllocator.builder().build())
                .build());
        assertTrue(e.getMessage().contains("viewSharing=SHARED"), e.getMessage());
    }

    @Test
    void shouldThrowOnUseAfterFreeInCheckedMode() {
        try (ManualHeap heap = Heaps.builder().withCheckedBlocks(true).build()) {
            MemorySegment block = heap.allocate(32);
            block.set(JAVA_LONG, 0, 42);
            heap.free(block);
            assertThrows(IllegalStateException.class, () -> block.get(JAVA_LONG, 0));
            assertThrows(IllegalStateException.class, () -> block.set(JAVA_LONG, 0, 1));
        }
    }

    /**
     * Found by {@code ManualHeapFuzz} (module reliability): a large block (past the size classes, or aligned
     * past 4 KiB) had no scope of its own in checked mode, so its stale segment stayed usable after free
     * under the allocator's default view quarantine (which keeps a released region's views readable).
     */
    @Test
    void shouldRefuseUseAfterFreeOfACheckedLargeBlock() {
        PageAllocator quarantining = PageAllocator.builder().withViewSharing(ViewSharing.SHARED).build();
        ManualHeap heap = ManualHeap.builder(quarantining).withCheckedBlocks(true).build();
        MemorySegment large = heap.allocate(200_000);
        MemorySegment aligned = heap.allocate(4064, 8192, false);
        MemorySegment resized = heap.reallocate(heap.allocate(100_000), 120_000);
        MemorySegment live = heap.allocate(300_000);
        for (MemorySegment block : List.of(large, aligned, resized)) {
            block.set(JAVA_LONG, 0, 42);
            heap.free(block);
            assertThrows(IllegalStateException.class, () -> block.get(JAVA_LONG, 0));
            assertThrows(IllegalStateException.class, () -> block.set(JAVA_LONG, 0, 1));
            assertThrows(IllegalArgumentException.class, () -> heap.free(block), "a double free");
        }
        live.set(JAVA_LONG, 0, 7);
        heap.close();
        assertThrows(IllegalStateException.class, () -> live.get(JAVA_LONG, 0), "closed with the heap");
    }

    @Test
    void shouldInvalidateLiveCheckedBlocksOnClose() {
        ManualHeap heap = Heaps.builder().withCheckedBlocks(true).build();
        MemorySegment live = heap.allocate(64);
        MemorySegment freed = heap.allocate(64);
        heap.free(freed);
        heap.close();
        assertThrows(IllegalStateException.class, () -> live.get(JAVA_BYTE, 0), "scope closed, not a fault");
        assertThrows(IllegalStateException.class, () -> freed.get(JAVA_BYTE, 0));
    }

    @Test
    void shouldReportAWriteAfterFreeWhenPoisoning() {
        try (ManualHeap heap = Heaps.builder().withPoisoning(true).build()) {
            MemorySegment block = heap.allocate(48);
            heap.free(block);
            assertEquals((byte) 0xDB, block.get(JAVA_BYTE, 0), "freed blocks are poisoned");
            block.set(JAVA_BYTE, 5, (byte) 7); // a write after free: allowed by an unchecked segment
            var e = assertThrows(IllegalStateException.class, () -> heap.allocate(48));
            assertTrue(e.getMessage().contains("was written after it was freed, first at byte offset 5"),
                    e.getMessage());
            MemorySegment next = heap.allocate(48);
            assertTrue(next.address() != block.address(), "the corrupt block is kept out of use");
        }
    }

    @Test
    void shouldZeroAReusedBlockWhenAsked() {
        try (ManualHeap heap = Heaps.builder().build()) {
            MemorySegment block = heap.allocate(64);
            block.fill((byte) 1);
            heap.free(block);
            MemorySegment again = heap.allocate(64, 16, true);
            assertEquals(block.address(), again.address(), "the thread's cache hands the block back");
            assertEquals(-1, again.mismatch(MemorySegment.ofArray(new byte[64])));
        }
    }

    @Test
    void shouldReallocateInPlaceWithinAClassAndWithinReservedPages() {
        try (ManualHeap heap = Heaps.builder().build()) {
            MemorySegment small = heap.allocate(100);
            MemorySegment grown = heap.reallocate(small, 112); // 100 bytes take the 112-byte class
            assertEquals(small.address(), grown.address());
            MemorySegment large = heap.allocate(65_536);
            large.set(JAVA_LONG, 65_528, 7);
            MemorySegment larger = heap.reallocate(large, 100_000);
            assertEquals(large.address(), larger.address(), "the reserved pages take the growth");
            assertEquals(7, larger.get(JAVA_LONG, 65_528));
            assertEquals(100_112, heap.statistics().liveBytes());
        }
    }

    @Test
    void shouldAllocateNulTerminatedUtf8Strings() {
        try (ManualHeap heap = Heaps.builder().build()) {
            MemorySegment text = heap.allocateString("grüß");
            assertEquals(7, text.byteSize());
            assertEquals("grüß", text.getString(0));
            assertEquals(0, text.get(JAVA_BYTE, 6));
        }
    }

    @Test
    void shouldCountPerSizeClass() {
        try (ManualHeap heap = Heaps.builder().withExactPeak(true).build()) {
            List<MemorySegment> blocks = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                blocks.add(heap.allocate(30));
            }
            heap.free(blocks.getFirst());
            SizeClassStatistics class32 = heap.statistics().sizeClasses().get(1);
            assertEquals(32, class32.blockBytes());
            assertEquals(9, class32.liveBlocks());
            assertEquals(10, class32.allocations());
            assertEquals(1, class32.slabs());
            assertEquals(270, heap.statistics().liveBytes());
            assertEquals(300, heap.statistics().peakLiveBytes());
        }
    }

    @Test
    void shouldReturnIdleSlabsToTheAllocatorOnTrim() {
        assumeTrue(ProcMaps.available(), "needs /proc/self/maps");
        try (ManualHeap heap = Heaps.builder().withIdleThreshold(Duration.ZERO).build()) {
            List<MemorySegment> blocks = new ArrayList<>();
            for (int i = 0; i < 3 * heap.slabBytes() / 1024; i++) {
                blocks.add(heap.allocate(1024));
            }
            MemorySegment first = blocks.getFirst();
            long slabBase = first.address() & -heap.slabBytes();
            assertEquals(heap.slabBytes() * 3, heap.statistics().heldBytes());
            for (MemorySegment block : blocks) {
                heap.free(block);
            }
            assertTrue(ProcMaps.mappedBytes(first.address(), 1024) == 1024, "freed blocks stay mapped");
            long returned = heap.trim();
            assertEquals(heap.slabBytes() * 3, returned);
            assertEquals(0, heap.statistics().heldBytes());
            for (MemorySegment block : List.of(first, blocks.getLast())) {
                assertEquals(0, ProcMaps.mappedBytes(block.address(), 1024), "the kernel unmapped the slab");
                assertThrows(IllegalStateException.class, () -> block.get(JAVA_BYTE, 0));
            }
            assertTrue(slabBase != 0);
            MemorySegment again = heap.allocate(1024); // stale cache entries are skipped
            again.set(JAVA_BYTE, 0, (byte) 1);
            heap.free(again);
        }
    }

    @Test
    void shouldRetireTheCachesOfEndedThreadsAndGiveTheirSlabsBack() throws InterruptedException {
        assumeTrue(ProcMaps.available(), "needs /proc/self/maps");
        long idleMillis = 50;
        try (ManualHeap heap = Heaps.builder().withIdleThreshold(Duration.ofMillis(idleMillis)).build()) {
            int threads = 40;
            int perThread = 300;
            long[] sizes = {24, 48, 200, 1000};
            List<MemorySegment> survivors = java.util.Collections.synchronizedList(new ArrayList<>());
            java.util.concurrent.atomic.AtomicLong keptBytes = new java.util.concurrent.atomic.AtomicLong();
            java.util.concurrent.atomic.AtomicLong firstBlock = new java.util.concurrent.atomic.AtomicLong();
            for (int round = 0; round < 2; round++) {
                List<Thread> started = new ArrayList<>();
                for (int t = 0; t < threads / 2; t++) {
                    int seed = round * 1000 + t;
                    started.add(Thread.ofPlatform().start(() -> {
                        List<MemorySegment> mine = new ArrayList<>();
                        for (int i = 0; i < perThread; i++) {
                            mine.add(heap.allocate(sizes[(seed + i) % sizes.length]));
                        }
                        firstBlock.compareAndSet(0, mine.get(5).address());
                        MemorySegment kept = mine.removeFirst(); // one block per thread outlives it
                        survivors.add(kept);
                        keptBytes.addAndGet(kept.byteSize());
                        for (MemorySegment block : mine) {
                            heap.free(block); // into this thread's cache, which dies with the thread
                        }
                    }));
                }
                for (Thread thread : started) {
                    thread.join();
                }
            }
            HeapStatistics stats = heap.statistics(); // retires every ended thread's cache
            assertEquals(0, stats.threadCaches(), "only ended threads used the heap");
            assertEquals(threads, stats.liveBlocks());
            assertEquals(keptBytes.get(), stats.liveBytes());
            assertEquals((long) threads * perThread, stats.allocations());
            assertEquals((long) threads * (perThread - 1), stats.frees());
            long heldWithSurvivors = stats.heldBytes();
            List<Long> addresses = new ArrayList<>();
            for (MemorySegment block : survivors) {
                assertEquals(block.byteSize(), ProcMaps.mappedBytes(block.address(), block.byteSize()));
                addresses.add(block.address());
                heap.free(block);
            }
            addresses.add(firstBlock.get());
            assertEquals(1, heap.statistics().threadCaches(), "this thread's own cache");
            long returned = heap.trim(); // marks the slabs empty
            Thread.sleep(idleMillis * 3);
            returned += heap.trim();
            HeapStatistics after = heap.statistics();
            assertEquals(heldWithSurvivors, returned, "every slab went back once idle");
            assertEquals(0, after.heldBytes());
            assertEquals(0, after.liveBytes());
            assertEquals(0, after.liveBlocks());
            assertEquals(after.allocations(), after.frees());
            for (long address : addresses) {
                assertEquals(0, ProcMaps.mappedBytes(address, 1), "the kernel unmapped the slab at " + address);
            }
            for (SizeClassStatistics each : after.sizeClasses()) {
                assertEquals(0, each.slabs(), each.toString());
            }
        }
    }

    @Test
    void shouldStayMemorySafeAndLeaveNothingMappedWhenClosedDuringUse() throws InterruptedException {
        assumeTrue(ProcMaps.available(), "needs /proc/self/maps");
        ManualHeap heap = Heaps.builder().build();
        int threads = 4;
        java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(threads);
        var unexpected = new java.util.concurrent.atomic.AtomicReference<Throwable>();
        long[] lastLarge = new long[threads];
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int index = t;
            started.add(Thread.ofPlatform().start(() -> {
                boolean counted = false;
                try {
                    while (true) {
                        MemorySegment small = heap.allocate(48);
                        MemorySegment large = heap.allocate(100_000);
                        lastLarge[index] = large.address();
                        small.set(JAVA_BYTE, 47, (byte) 1);
                        large.set(JAVA_BYTE, 99_999, (byte) 1);
                        heap.free(small);
                        heap.free(large);
                        if (!counted) {
                            counted = true;
                            running.countDown();
                        }
                    }
                } catch (IllegalStateException | IllegalArgumentException expected) {
                    // the heap closed under this thread: refused, or a segment of an unmapped slab
                } catch (Throwable e) {
                    unexpected.set(e);
                } finally {
                    if (!counted) {
                        running.countDown();
                    }
                }
            }));
        }
        running.await();
        Thread.sleep(20);
        heap.close();
        for (Thread thread : started) {
            thread.join();
        }
        assertEquals(null, unexpected.get());
        for (long address : lastLarge) {
            assertEquals(0, ProcMaps.mappedBytes(address, 1), "large block at 0x" + Long.toHexString(address));
        }
        assertThrows(IllegalStateException.class, () -> heap.allocate(100_000));
    }

    @Test
    void shouldKeepSlabsWithALiveBlockOnTrim() {
        try (ManualHeap heap = Heaps.builder().withIdleThreshold(Duration.ZERO).build()) {
            MemorySegment kept = heap.allocate(512);
            MemorySegment freed = heap.allocate(512);
            heap.free(freed);
            assertEquals(0, heap.trim());
            assertEquals(0, kept.get(JAVA_BYTE, 0));
        }
    }

    @Test
    void shouldUnmapEveryPageOnClose() {
        assumeTrue(ProcMaps.available(), "needs /proc/self/maps");
        ManualHeap heap = Heaps.builder().build();
        List<MemorySegment> blocks = new ArrayList<>();
        for (long size : new long[] {1, 16, 100, 1000, 5000, 8192, 10_000, 300_000}) {
            blocks.add(heap.allocate(size));
        }
        try (HeapArena arena = heap.newArena()) {
            blocks.add(arena.allocate(100));
        }
        for (MemorySegment block : blocks) {
            assertEquals(block.byteSize(), ProcMaps.mappedBytes(block.address(), block.byteSize()));
        }
        heap.close();
        for (MemorySegment block : blocks) {
            assertEquals(0, ProcMaps.mappedBytes(block.address(), Math.max(1, block.byteSize())),
                    "block at 0x" + Long.toHexString(block.address()) + " still mapped after close");
        }
        assertThrows(IllegalStateException.class, () -> heap.allocate(8));
        assertThrows(IllegalStateException.class, () -> blocks.getFirst().get(JAVA_BYTE, 0));
    }
}
