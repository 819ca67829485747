package dev.pagealloc.heap.manual;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pagealloc.testkit.ProcMaps;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The idle threshold, in the kernel's view: an empty slab keeps its resident pages until it has been
 * idle that long, then goes back to the allocator, by {@link ManualHeap#trim()} or by itself from a
 * later allocation's slow path. The slab's range is checked in {@code /proc/self/smaps} (its
 * {@code Rss}) and {@code /proc/self/maps}.
 */
class ManualHeapIdleTest {
    private static final long IDLE_MILLIS = 300;

    @Test
    void shouldKeepAnEmptySlabUntilTheIdleThresholdThenReturnItOnTrim() throws InterruptedException {
        assumeTrue(ProcMaps.available(), "needs /proc/self/smaps");
        try (ManualHeap heap = Heaps.builder().withIdleThreshold(Duration.ofMillis(IDLE_MILLIS)).build()) {
            long[] range = fillOneSlabAndFreeIt(heap);
            long emptiedNanos = System.nanoTime();
            assertEquals(0, heap.trim(), "an empty slab is kept before the idle threshold");
            assertTrue(System.nanoTime() - emptiedNanos < IDLE_MILLIS * 1_000_000, "the machine was too slow");
            assertEquals(heap.slabBytes(), ProcMaps.mappedBytes(range[0], heap.slabBytes()));
            assertTrue(ProcMaps.sum(range[0], range[1], "Rss") >= heap.slabBytes(), "its pages stay resident");

            Thread.sleep(IDLE_MILLIS + 50);
            assertEquals(heap.slabBytes(), heap.trim());
            assertUnmapped(range);
        }
    }

    @Test
    void shouldReturnAnIdleSlabFromAnAllocationsSlowPathWithoutTrim() throws InterruptedException {
        assumeTrue(ProcMaps.available(), "needs /proc/self/smaps");
        try (ManualHeap heap = Heaps.builder().withIdleThreshold(Duration.ofMillis(IDLE_MILLIS)).build()) {
            // A live 48-byte block keeps its slab, so the refill below needs no new region (which the
            // allocator could map at the address just returned).
            MemorySegment kept = heap.allocate(48);
            long[] range = fillOneSlabAndFreeIt(heap);
            heap.trim(); // gives this thread's cached blocks back, so that the 1 KiB slab is empty: it starts idling
            assertEquals(heap.slabBytes(), ProcMaps.mappedBytes(range[0], heap.slabBytes()));
            assertEquals(2 * heap.slabBytes(), heap.statistics().heldBytes());

            Thread.sleep(IDLE_MILLIS + 50);
            MemorySegment other = heap.allocate(48); // this thread's 48-byte cache is empty: a refill
            assertUnmapped(range);
            assertEquals(heap.slabBytes(), heap.statistics().heldBytes(), "only the 48-byte slab is held");
            heap.free(other);
            heap.free(kept);
        }
    }

    /** {@return the range of one slab of 1 KiB blocks, every block written and then freed} */
    private static long[] fillOneSlabAndFreeIt(ManualHeap heap) {
        long heldBefore = heap.statistics().heldBytes();
        List<MemorySegment> blocks = new ArrayList<>();
        for (long i = 0; i < heap.slabBytes() / 1024; i++) {
            MemorySegment block = heap.allocate(1024);
            block.fill((byte) 7);
            blocks.add(block);
        }
        long start = blocks.stream().mapToLong(MemorySegment::address).min().orElseThrow();
        long end = start + heap.slabBytes();
        assertEquals(heldBefore + heap.slabBytes(), heap.statistics().heldBytes(), "one slab more");
        assertTrue(ProcMaps.sum(start, end, "Rss") >= heap.slabBytes(), "the written slab is resident");
        for (MemorySegment block : blocks) {
            heap.free(block, 1024);
        }
        return new long[] {start, end};
    }

    private static void assertUnmapped(long[] range) {
        assertEquals(0, ProcMaps.mappedBytes(range[0], range[1] - range[0]), "the kernel unmapped the slab");
        assertEquals(0, ProcMaps.sum(range[0], range[1], "Rss"), "no resident page is left in the slab's range");
    }
}
