package dev.pagealloc.heap.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.testkit.ProcMaps;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Pinning, promotion, the large-object space, and what the kernel sees of the heap's memory. */
class GcHeapTest {

    private static GcHeap smallHeap() {
        return GcHeap.builder().withNurseryBytes(512 << 10).withOldGenerationLimitBytes(8 << 20)
                .withLargeObjectThresholdBytes(4096).withVerifyAfterCollection(true).build();
    }

    @Test
    void shouldKeepAPinnedNurseryObjectInPlaceAndUpdateItsReferences() {
        try (GcHeap heap = smallHeap()) {
            int pair = heap.registerType(new TypeLayout.Fixed("Pair", 24, 0, 8));
            long pinnedObject = heap.allocate(pair);
            long child = heap.allocate(pair);
            heap.setLong(child, 16, 42);
            heap.setReference(pinnedObject, 0, child);
            heap.pin(pinnedObject);

            heap.collect(false);

            assertTrue(heap.isHeapPointer(pinnedObject), "the pinned object stays at its address");
            long movedChild = heap.getReference(pinnedObject, 0);
            assertNotEquals(child, movedChild, "the child was copied out of eden");
            assertEquals(42, heap.getLong(movedChild, 16));
            assertFalse(heap.isHeapPointer(child), "the child's old address is no object any more");

            // Unpinned, it can move: held by a handle, the next minor collection copies it.
            Handle handle = heap.newHandle(pinnedObject);
            heap.unpin(pinnedObject);
            heap.collect(false);
            assertNotEquals(pinnedObject, handle.get());
            assertEquals(42, heap.getLong(heap.getReference(handle.get(), 0), 16));
        }
    }

    @Test
    void shouldKeepAnUnreachablePinnedObjectUntilUnpinned() {
        try (GcHeap heap = smallHeap()) {
            int leaf = heap.registerType(new TypeLayout.Fixed("Leaf", 8));
            long object = heap.allocate(leaf);
            heap.setLong(object, 0, 7);
            heap.pin(object);
            heap.collect(true);
            assertTrue(heap.isHeapPointer(object), "a pinned object is a root: kept though unreachable");
            assertEquals(7, heap.getLong(object, 0));
            assertEquals(1, heap.statistics().pinnedObjects());
            heap.unpin(object);
            heap.collect(false);
            assertFalse(heap.isHeapPointer(object), "unpinned and unreachable, it is collected");
        }
    }

    @Test
    void shouldPromoteByAgeAndRememberOldToYoungReferences() {
        try (GcHeap heap = smallHeap()) {
            int pair = heap.registerType(new TypeLayout.Fixed("Pair", 16, 0, 8));
            Handle holder = heap.newHandle(heap.allocate(pair));
            heap.collect(false);
            heap.collect(false);
            assertTrue(heap.old.contains(holder.get()), "two collections survived: promoted (tenure age 2)");
            long young = heap.allocate(pair);
            heap.setReference(holder.get(), 8, young);
            assertTrue(heap.old.isCardDirty(holder.get() + 8), "the write barrier dirtied the slot's card");
            heap.collect(false);
            long moved = heap.getReference(holder.get(), 8);
            assertNotEquals(young, moved, "the young object reached only through the card was copied");
            assertTrue(heap.isHeapPointer(moved));
        }
    }

    @Test
    void shouldGiveALargeObjectsPagesBackWhenItDies() {
        try (GcHeap heap = smallHeap()) {
            int bytes = heap.registerType(new TypeLayout.PrimitiveArray("Bytes", 1));
            long array = heap.allocateArray(bytes, 100_000);
            assertTrue(heap.large.isObjectStart(array));
            long start = array - Header.BYTES;
            assertEquals(List.of("rw-p:100352"), ProcMaps.permissions(start, start + 100_352),
                    "the kernel maps the large object's own pages read-write");
            heap.setByte(array, 99_999, (byte) 5);
            assertEquals(1, heap.statistics().largeObjects());
            heap.collect(true);
            assertEquals(0, heap.statistics().largeObjects());
            assertFalse(ProcMaps.permissions(start, start + 100_352).stream().anyMatch(r -> r.startsWith("rw")),
                    "its pages are unmapped: " + ProcMaps.permissions(start, start + 100_352));
        }
    }

    @Test
    void shouldDecommitEmptyOldBlocksInTheKernelsView() {
        try (GcHeap heap = GcHeap.builder().withNurseryBytes(512 << 10).withOldGenerationLimitBytes(8 << 20)
                .withTenureAge(1).withVerifyAfterCollection(true).build()) {
            int blob = heap.registerType(new TypeLayout.PrimitiveArray("Blob", 8));
            ShadowStack stack = heap.shadowStack();
            stack.pushFrame();
            for (int i = 0; i < 200; i++) {
                stack.addRoot(heap.allocateArray(blob, 200)); // 1608 bytes, a 2048-byte cell
            }
            heap.collect(false); // tenure age 1: all promoted
            long oldStart = heap.old.base;
            long oldBytes = heap.old.committedBytes();
            assertTrue(oldBytes >= 200 * 2048, "old generation committed " + oldBytes);
            assertTrue(ProcMaps.sum(oldStart, oldStart + oldBytes, "Rss") >= 200 * 1608, "the blocks are resident");
            stack.popFrame();
            heap.collect(true);
            assertEquals(0, heap.statistics().oldGenerationUsedBytes());
            assertEquals(List.of("---p:" + oldBytes), ProcMaps.permissions(oldStart, oldStart + oldBytes),
                    "empty blocks are decommitted: no access");
            assertEquals(0, ProcMaps.sum(oldStart, oldStart + oldBytes, "Rss"), "and hold no memory");
            // A decommitted block is taken again when the generation needs one.
            Handle again = heap.newHandle(heap.allocateArray(blob, 200));
            heap.collect(false);
            assertTrue(heap.old.contains(again.get()));
            assertEquals(0, heap.getLong(again.get(), 8));
        }
    }

    @Test
    void shouldReturnEveryPageAtShutdown() {
        GcHeap heap = smallHeap();
        int bytes = heap.registerType(new TypeLayout.PrimitiveArray("Bytes", 1));
        Handle large = heap.newHandle(heap.allocateArray(bytes, 50_000));
        long[][] ranges = {
            {heap.nursery.base, heap.nursery.end},
            {heap.old.base, heap.old.base + heap.old.region.reservedBytes() - heap.old.region.guardBeforeBytes()
                    - heap.old.region.guardAfterBytes()},
            {heap.old.cardRegion.address(), heap.old.cardRegion.address() + heap.old.cardRegion.byteSize()},
            {large.get() - Header.BYTES, large.get() + 50_000},
        };
        for (long[] range : ranges) {
            assertTrue(ProcMaps.permissions(range[0], range[1]).stream().noneMatch(r -> r.startsWith("hole")),
                    "mapped while the heap lives");
        }
        heap.close();
        for (long[] range : ranges) {
            assertEquals(List.of("hole:" + (range[1] - range[0])), ProcMaps.permissions(range[0], range[1]),
                    "unmapped after shutdown");
        }
        heap.close(); // idempotent
    }

    @Test
    void shouldMoveObjectsKeptForWantOfRoomOnceAFullCollectionFreesTheOldGeneration() {
        // An old generation of one block (2,730 cells of 24 bytes) filled with garbage: the next survivors
        // have nowhere to go and stay in the nursery until the major collection makes room.
        try (GcHeap heap = GcHeap.builder().withNurseryBytes(512 << 10).withOldGenerationLimitBytes(64 << 10)
                .withTenureAge(1).withVerifyAfterCollection(true).build()) {
            int pair = heap.registerType(new TypeLayout.Fixed("Pair", 16, 0, 8));
            ShadowStack stack = heap.shadowStack();
            stack.pushFrame();
            int head = stack.addRoot(0);
            for (int i = 0; i < 2500; i++) {
                long node = heap.allocate(pair);
                heap.setReference(node, 0, stack.root(head));
                stack.setRoot(head, node);
            }
            heap.collect(false); // promoted: the old generation is nearly full
            stack.setRoot(head, 0); // and now all garbage
            for (int i = 0; i < 2500; i++) {
                long node = heap.allocate(pair);
                heap.setReference(node, 0, stack.root(head));
                stack.setRoot(head, node);
            }
            heap.collect(true);
            assertTrue(heap.old.contains(stack.root(head)), "the survivors moved to the old generation");
            assertEquals(0, heap.statistics().nurseryUsedBytes(), "no nursery block is retained");
            long count = 0;
            for (long node = stack.root(head); node != 0; node = heap.getReference(node, 0)) {
                count++;
            }
            assertEquals(2500, count);
        }
    }

    @Test
    void shouldDropTheRootsOfAThreadThatEnded() throws InterruptedException {
        try (GcHeap heap = smallHeap()) {
            int leaf = heap.registerType(new TypeLayout.Fixed("Leaf", 8));
            Thread thread = Thread.ofPlatform().start(() -> {
                ShadowStack stack = heap.shadowStack();
                stack.pushFrame();
                stack.addRoot(heap.allocate(leaf));
            });
            thread.join();
            heap.collect(true);
            GcStatistics stats = heap.statistics();
            assertEquals(0, stats.nurseryUsedBytes() + stats.oldGenerationUsedBytes(),
                    "the ended thread's stack no longer keeps its object: " + stats);
        }
    }
}
