package dev.pagealloc.heap.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Type ids: equal layouts share one, a type no object uses can be released, and running out names the limit. */
class TypeIdsTest {

    @Test
    void anEqualLayoutGetsTheSameIdAndADifferentOneANewId() {
        try (GcHeap heap = GcHeap.builder().build()) {
            int node = heap.registerType(new TypeLayout.Fixed("Node", 16, 8, 0));
            assertEquals(node, heap.registerType(new TypeLayout.Fixed("Node", 16, 0, 8)),
                    "offsets compared by content");
            assertNotEquals(node, heap.registerType(new TypeLayout.Fixed("Node", 16, 0)));
            assertNotEquals(node, heap.registerType(new TypeLayout.Fixed("Other", 16, 0, 8)));
            int bytes = heap.registerType(new TypeLayout.PrimitiveArray("Bytes", 1));
            assertEquals(bytes, heap.registerType(new TypeLayout.PrimitiveArray("Bytes", 1)));
            assertNotEquals(bytes, heap.registerType(new TypeLayout.PrimitiveArray("Bytes", 2)));
        }
    }

    @Test
    void aTypeIsReleasedOnlyOnceNoObjectOfItIsLeftAndItsIdIsReused() {
        try (GcHeap heap = GcHeap.builder().withVerifyAfterCollection(true).build()) {
            int node = heap.registerType(new TypeLayout.Fixed("Node", 16, 0, 8));
            int blob = heap.registerType(new TypeLayout.PrimitiveArray("Blob", 8));
            ShadowStack stack = heap.shadowStack();
            stack.pushFrame();
            int root = stack.addRoot(heap.allocate(node));
            int large = stack.addRoot(heap.allocateArray(blob, 100_000)); // a large object
            assertFalse(heap.releaseType(node), "a nursery object of the type is reachable");
            assertFalse(heap.releaseType(blob), "a large object of the type is reachable");
            heap.collect(false);
            heap.collect(false);
            heap.collect(false); // promoted by now (tenure age)
            assertFalse(heap.releaseType(node), "an old object of the type is reachable");
            assertEquals(node, heap.typeOf(stack.root(root)), "a refused release changes nothing");
            stack.setRoot(root, 0);
            stack.setRoot(large, 0);
            assertTrue(heap.releaseType(node));
            assertTrue(heap.releaseType(blob));
            IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> heap.allocate(node));
            assertTrue(unknown.getMessage().contains("released"), unknown.getMessage());
            assertThrows(IllegalArgumentException.class, () -> heap.releaseType(node));
            int reused = heap.registerType(new TypeLayout.Fixed("Leaf", 8));
            assertTrue(reused == node || reused == blob, "a released id is given out again: " + reused);
            assertEquals(reused, heap.typeOf(heap.allocate(reused)));
            heap.verify();
        }
    }

    @Test
    void runningOutOfIdsNamesTheLimit() {
        try (GcHeap heap = GcHeap.builder().build()) {
            for (int i = 1; i <= Header.MAX_TYPE_ID; i++) {
                assertEquals(i, heap.registerType(new TypeLayout.PrimitiveArray("T" + i, 1)));
            }
            IllegalStateException full = assertThrows(IllegalStateException.class,
                    () -> heap.registerType(new TypeLayout.PrimitiveArray("one too many", 1)));
            assertTrue(full.getMessage().contains("all 65535 type ids are in use"), full.getMessage());
            assertTrue(full.getMessage().contains("releaseType"), full.getMessage());
            assertEquals(7, heap.registerType(new TypeLayout.PrimitiveArray("T7", 1)), "an equal layout still works");
            assertTrue(heap.releaseType(7));
            assertEquals(7, heap.registerType(new TypeLayout.PrimitiveArray("one too many", 1)));
        }
    }
}
