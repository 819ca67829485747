package dev.pagealloc.heap.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class HeapBudgetTest {

    private static final long BLOCK = GcHeapBuilder.MINIMUM_BLOCK_BYTES;

    @Test
    void shouldGiveTheNurseryAThirdOfTheBudgetRoundedDownToBlocks() {
        long budget = 1L << 30;
        try (GcHeap heap = GcHeap.builder().withHeapBytes(budget).build()) {
            // HotSpot's NewRatio=2: young = heap / 3 (ParallelGC's NewSize for -Xmx1g is 341 MiB).
            long third = budget / 3;
            assertEquals(third - third % BLOCK, heap.statistics().nurseryBytes());
            assertEquals(budget - heap.statistics().nurseryBytes(), heap.oldGenerationLimitBytes);
        }
    }

    @Test
    void shouldRoundTheOldGenerationDownToBlocksToo() {
        long budget = 20 * BLOCK + 4096;
        try (GcHeap heap = GcHeap.builder().withHeapBytes(budget).build()) {
            assertEquals(6 * BLOCK, heap.statistics().nurseryBytes());
            assertEquals(14 * BLOCK, heap.oldGenerationLimitBytes);
        }
    }

    @Test
    void shouldRefuseABudgetWithExplicitSizesOrTooSmall() {
        GcHeapBuilder both = GcHeap.builder().withHeapBytes(1L << 30).withNurseryBytes(8L << 20);
        assertEquals("build(heapBytes=1073741824): heapBytes must be left unset when nurseryBytes or"
                + " oldGenerationLimitBytes is set",
                assertThrows(IllegalArgumentException.class, both::build).getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> GcHeap.builder().withOldGenerationLimitBytes(64L << 20).withHeapBytes(1L << 30).build());
        assertEquals("build(heapBytes=" + 11 * BLOCK + "): heapBytes must be at least 12 blocks of " + BLOCK
                + " bytes", assertThrows(IllegalArgumentException.class,
                        () -> GcHeap.builder().withHeapBytes(11 * BLOCK).build()).getMessage());
        assertThrows(IllegalArgumentException.class, () -> GcHeap.builder().withHeapBytes(-1).build());
    }
}
