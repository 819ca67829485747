package dev.pagealloc.heap.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link GcHeap#allocate(int, long, long)}: an allocation and its two reference stores in one call. */
class AllocateWithReferencesTest {

    private static final TypeLayout CELL = new TypeLayout.Fixed("Cell", 32, 16, 0); // references at 0 and 16

    @Test
    void storesBothReferencesOnTheLockFreePathAndThroughTheLockedOne() {
        try (GcHeap heap = GcHeap.builder().withNurseryBytes(1 << 20).withLargeObjectThresholdBytes(4096)
                .withVerifyAfterCollection(true).build()) {
            int cell = heap.registerType(CELL);
            int bytes = heap.registerType(new TypeLayout.PrimitiveArray("Bytes", 1));
            ShadowStack stack = heap.shadowStack();
            stack.pushFrame();
            int young = stack.addRoot(heap.allocate(cell));
            int old = stack.addRoot(heap.allocate(cell));
            heap.collect(true); // survivors now: the values are no longer in eden
            int large = stack.addRoot(heap.allocateArray(bytes, 10_000));
            long node = heap.allocate(cell, stack.root(young), stack.root(old));
            assertEquals(stack.root(young), heap.getReference(node, 0), "the lowest reference slot gets first");
            assertEquals(stack.root(old), heap.getReference(node, 16));
            assertEquals(0, heap.getLong(node, 8), "the plain word between them reads zero");
            // A large object is no fast-path value: the locked path stores it.
            long withLarge = heap.allocate(cell, stack.root(large), 0);
            assertEquals(stack.root(large), heap.getReference(withLarge, 0));
            assertEquals(0, heap.getReference(withLarge, 16));
            heap.verify();
        }
    }

    @Test
    void keepsAndUpdatesTheReferencesWhenTheAllocationCollects() {
        // Stress mode: every allocation collects first, so the values are moved by the collection it runs.
        try (GcHeap heap = GcHeap.builder().withCollectEveryAllocations(1).withVerifyAfterCollection(true)
                .build()) {
            int cell = heap.registerType(CELL);
            ShadowStack stack = heap.shadowStack();
            stack.pushFrame();
            long a = heap.allocate(cell);
            heap.setLong(a, 8, 1111);
            int aRoot = stack.addRoot(a);
            long b = heap.allocate(cell);
            heap.setLong(b, 8, 2222);
            long staleA = stack.root(aRoot);
            // No root for b: allocate keeps it.
            long node = heap.allocate(cell, staleA, b);
            long first = heap.getReference(node, 0);
            long second = heap.getReference(node, 16);
            assertNotEquals(b, second, "the collection moved the second value, and the new address was stored");
            assertTrue(heap.isHeapPointer(first) && heap.isHeapPointer(second));
            assertEquals(1111, heap.getLong(first, 8));
            assertEquals(2222, heap.getLong(second, 8));
        }
    }

    @Test
    void refusesBadTypesAndValuesAndAllocatesNothing() {
        GcHeap heap = GcHeap.builder().build();
        {
            int cell = heap.registerType(CELL);
            int one = heap.registerType(new TypeLayout.Fixed("One", 16, 0));
            int refs = heap.registerType(new TypeLayout.ReferenceArray("Refs"));
            ShadowStack stack = heap.shadowStack();
            stack.pushFrame();
            long object = heap.allocate(cell);
            long allocated = heap.statistics().allocatedBytes();
            IllegalArgumentException few = assertThrows(IllegalArgumentException.class,
                    () -> heap.allocate(one, 0, 0));
            assertTrue(few.getMessage().contains("1 reference slots"), few.getMessage());
            assertThrows(IllegalArgumentException.class, () -> heap.allocate(refs, 0, 0));
            assertThrows(IllegalArgumentException.class, () -> heap.allocate(999, 0, 0));
            IllegalArgumentException notObject = assertThrows(IllegalArgumentException.class,
                    () -> heap.allocate(cell, object + 8, 0));
            assertTrue(notObject.getMessage().contains("not an object of this heap"), notObject.getMessage());
            assertEquals(allocated, heap.statistics().allocatedBytes(), "nothing was allocated");
            heap.close();
            assertThrows(IllegalStateException.class, () -> heap.allocate(cell, 0, 0));
        }
    }
}
