package dev.pagealloc.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** First fit, alignment, and merging of the code heap's free list. */
class FreeListTest {

    @Test
    void shouldTakeFirstFitAlignedAndMergeOnGive() {
        FreeList list = new FreeList(256);
        assertEquals(0, list.take(10, 16));
        assertEquals(16, list.take(16, 16), "the next aligned offset");
        assertEquals(32, list.take(32, 16));
        assertEquals(256 - 10 - 16 - 32, list.freeBytes(), "alignment padding stays free");
        list.give(16, 16);
        assertEquals(16, list.take(8, 16), "first fit reuses the hole");
        list.give(16, 8);
        list.give(0, 10);
        list.give(32, 32);
        assertTrue(list.isEmpty(), "every block merged back");
        assertEquals(0, list.take(256, 16), "into one block covering the chunk");
        assertEquals(-1, list.take(1, 1), "nothing left");
        assertFalse(list.isEmpty());
    }

    @Test
    void shouldRefuseWhatNoBlockHolds() {
        FreeList list = new FreeList(4096 * 4);
        assertEquals(0, list.take(4096, 4096));
        assertEquals(8192, list.take(4096, 8192), "aligned past the free page at 4096");
        assertEquals(-1, list.take(8192, 4096), "4096..8192 and 12288..16384 are free, but not together");
        assertEquals(4096, list.take(4096, 4096));
    }
}
