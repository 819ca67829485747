package dev.pagealloc.heap.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * What the allocation and field fast paths keep outside the type objects: the per-id slot masks and buffer headers
 * follow a released and reused type id, and eden blocks, no longer zero-filled when taken, still give every new
 * object a zero payload on each path.
 */
class FastPathTablesTest {

    @Test
    void aReusedTypeIdGetsTheNewTypesHeaderAndSlotKinds() {
        try (GcHeap heap = GcHeap.builder().build()) {
            int pair = heap.registerType(new TypeLayout.Fixed("Pair", 16, 0, 8));
            ShadowStack stack = heap.shadowStack();
            long first = stack.allocate(pair);
            assertEquals(0, stack.getReference(first, 8));
            assertTrue(heap.releaseType(pair), "nothing holds the pair");
            int words = heap.registerType(new TypeLayout.Fixed("Words", 24));
            assertEquals(pair, words, "the released id is given out again");
            long object = stack.allocate(words);
            assertEquals(words, heap.typeOf(object));
            heap.setLong(object, 16, 7); // inside the new type's 24 bytes, past the old one's 16
            assertEquals(7, heap.getLong(object, 16));
            assertThrows(IllegalArgumentException.class, () -> stack.getReference(object, 0),
                    "word 0 was a reference of the released type and is plain data of the new one");
            assertThrows(IllegalArgumentException.class, () -> heap.getReference(object, 8));
        }
    }

    @Test
    void everyAllocationPathZeroesItsPayloadInReusedEdenBlocks() {
        try (GcHeap heap = GcHeap.builder().withNurseryBytes(4 * GcHeapBuilder.MINIMUM_BLOCK_BYTES).build()) {
            int words = heap.registerType(new TypeLayout.Fixed("Words", 48));
            int cell = heap.registerType(new TypeLayout.Fixed("Cell", 24, 0, 8)); // a plain word at 16
            int longs = heap.registerType(new TypeLayout.PrimitiveArray("Longs", 8));
            ShadowStack stack = heap.shadowStack();
            long collectionsBefore = heap.statistics().minorCollections();
            for (int i = 0; i < 20_000; i++) {
                long object = switch (i % 4) {
                    case 0 -> stack.allocate(words);
                    case 1 -> heap.allocate(words);
                    case 2 -> heap.allocateArray(longs, 6);
                    default -> 0;
                };
                if (object != 0) {
                    for (long offset = 0; offset < 48; offset += 8) {
                        assertEquals(0, heap.getLong(object, offset), "allocation " + i + ", offset " + offset);
                        heap.setLong(object, offset, -1);
                    }
                } else {
                    long node = stack.allocate(cell, 0, 0);
                    assertEquals(0, heap.getLong(node, 16), "allocation " + i + " with two references");
                    heap.setLong(node, 16, -1);
                }
            }
            assertTrue(heap.statistics().minorCollections() - collectionsBefore >= 4,
                    "the nursery's blocks were taken again after collections");
        }
    }
}
