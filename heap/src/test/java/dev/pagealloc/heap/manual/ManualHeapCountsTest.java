package dev.pagealloc.heap.manual;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The counts a thread keeps without a counter per free (frees derived from its allocations, its cache
 * count and the blocks refills, flushes and dropped entries moved) and the peak's one-comparison batch
 * test: exact across refills, flushes, trims, a refused poisoned block and threads that end.
 */
class ManualHeapCountsTest {

    @Test
    void shouldCountExactlyAcrossRefillsFlushesAndTrims() {
        try (ManualHeap heap = Heaps.builder().build()) {
            List<MemorySegment> blocks = new ArrayList<>();
            for (int i = 0; i < 3000; i++) { // a 16-byte class's cache holds 64: many refills
                blocks.add(heap.allocate(16));
            }
            for (int i = 0; i < 2900; i++) { // many flushes of a full cache
                heap.free(blocks.get(i), i % 2 == 0 ? 16 : -1);
            }
            HeapStatistics stats = heap.statistics();
            assertEquals(3000, stats.allocations());
            assertEquals(2900, stats.frees());
            assertEquals(100, stats.liveBlocks());
            assertEquals(1600, stats.liveBytes());
            SizeClassStatistics class16 = stats.sizeClasses().getFirst();
            assertEquals(16, class16.blockBytes());
            assertEquals(3000, class16.allocations());
            assertEquals(100, class16.liveBlocks());
            heap.trim(); // the thread's cache back to the slabs
            stats = heap.statistics();
            assertEquals(3000, stats.allocations());
            assertEquals(2900, stats.frees());
            assertEquals(100, stats.liveBlocks());
            for (int i = 2900; i < 3000; i++) {
                heap.free(blocks.get(i));
            }
            MemorySegment again = heap.allocate(16);
            stats = heap.statistics();
            assertEquals(3001, stats.allocations());
            assertEquals(3000, stats.frees());
            assertEquals(1, stats.liveBlocks());
            assertEquals(16, stats.liveBytes());
            heap.free(again);
            assertEquals(0, heap.statistics().liveBlocks());
        }
    }

    @Test
    void shouldCountTheFreesOfAThreadThatEndedAndOfBlocksFreedByAnother() throws InterruptedException {
        try (ManualHeap heap = Heaps.builder().build()) {
            List<MemorySegment> blocks = new ArrayList<>();
            Thread worker = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 500; i++) {
                    MemorySegment block = heap.allocate(48);
                    if (i % 5 == 0) {
                        blocks.add(block); // freed by the main thread after the join
                    } else {
                        heap.free(block, 48);
                    }
                }
            });
            worker.join(); // JLS 17.4.5: the worker's operations happen-before what follows
            HeapStatistics stats = heap.statistics();
            assertEquals(0, stats.threadCaches(), "the ended thread's cache is retired");
            assertEquals(500, stats.allocations());
            assertEquals(400, stats.frees());
            assertEquals(100 * 48, stats.liveBytes());
            for (MemorySegment block : blocks) {
                heap.free(block);
            }
            stats = heap.statistics();
            assertEquals(500, stats.frees());
            assertEquals(0, stats.liveBlocks());
            assertEquals(0, stats.liveBytes());
        }
    }

    @Test
    void shouldNotCountAPoisonedBlockKeptOutOfUse() {
        try (ManualHeap heap = Heaps.builder().withPoisoning(true).build()) {
            MemorySegment block = heap.allocate(48);
            heap.free(block);
            block.set(JAVA_BYTE, 0, (byte) 1); // a write after free
            assertThrows(IllegalStateException.class, () -> heap.allocate(48));
            HeapStatistics stats = heap.statistics();
            assertEquals(1, stats.allocations());
            assertEquals(1, stats.frees());
            assertEquals(0, stats.liveBlocks());
            heap.free(heap.allocate(48));
            stats = heap.statistics();
            assertEquals(2, stats.allocations());
            assertEquals(2, stats.frees());
        }
    }

    @Test
    void shouldKeepThePeakExactOrWithinTheBatch() {
        try (ManualHeap exact = Heaps.builder().withExactPeak(true).build()) {
            List<MemorySegment> blocks = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                blocks.add(exact.allocate(16));
            }
            for (int i = 0; i < 150; i++) {
                exact.free(blocks.removeLast());
            }
            for (int i = 0; i < 100; i++) {
                blocks.add(exact.allocate(16));
            }
            assertEquals(200 * 16, exact.statistics().peakLiveBytes(), "150 live since the peak of 200");
            for (int i = 0; i < 200; i++) {
                blocks.add(exact.allocate(16));
            }
            assertEquals(350 * 16, exact.statistics().peakLiveBytes());
        }
        try (ManualHeap batched = Heaps.builder().build()) {
            List<MemorySegment> blocks = new ArrayList<>();
            for (int i = 0; i < 10_000; i++) {
                blocks.add(batched.allocate(64));
            }
            for (MemorySegment block : blocks) {
                batched.free(block);
            }
            long peak = batched.statistics().peakLiveBytes();
            assertTrue(peak <= 640_000 && peak > 640_000 - ManualHeap.PEAK_BATCH_BYTES,
                    "peak " + peak + " within one batch of the true 640000");
            assertEquals(0, batched.statistics().liveBytes());
        }
    }
}
