package dev.pagealloc.heap.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.testkit.ProcMaps;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Compaction of the old generation: an old generation left one eighth full by a major collection keeps its
 * blocks without compaction and gives seven eighths of them back with it (smaps' Rss of the old region),
 * every surviving object intact and reached at its new address, a pinned object's block left in place.
 */
class CompactionTest {

    private static final int OBJECTS = 100_000;

    private record Outcome(long committedBytes, long rssBytes, long pinnedBefore, long pinnedAfter) {
    }

    private static Outcome run(boolean compaction) {
        try (GcHeap heap = GcHeap.builder().withNurseryBytes(4 << 20).withOldGenerationLimitBytes(64 << 20)
                .withTenureAge(1).withCompaction(compaction).withVerifyAfterCollection(true).build()) {
            int item = heap.registerType(new TypeLayout.Fixed("Item", 16, 0));
            int refs = heap.registerType(new TypeLayout.ReferenceArray("Items"));
            ShadowStack stack = heap.shadowStack();
            stack.pushFrame();
            int table = stack.addRoot(heap.allocateArray(refs, OBJECTS));
            for (int i = 0; i < OBJECTS; i++) {
                long object = heap.allocate(item);
                heap.setLong(object, 8, i);
                heap.setReference(stack.root(table), 8L * i, object);
            }
            heap.collect(false);
            long pinned = heap.getReference(stack.root(table), 8L * 8);
            heap.pin(pinned);
            for (int i = 0; i < OBJECTS; i++) {
                if (i % 8 != 0) {
                    heap.setReference(stack.root(table), 8L * i, 0);
                }
            }
            heap.collect(true);
            for (int i = 0; i < OBJECTS; i += 8) {
                long object = heap.getReference(stack.root(table), 8L * i);
                assertTrue(heap.old.contains(object), "object " + i + " is old");
                assertEquals(i, heap.getLong(object, 8), "object " + i + " intact");
            }
            long pinnedAfter = heap.getReference(stack.root(table), 8L * 8);
            assertEquals(8, heap.getLong(pinnedAfter, 8));
            long rss = ProcMaps.sum(heap.old.region.address(), heap.old.region.address() + heap.old.region.byteSize(),
                    "Rss");
            Outcome outcome = new Outcome(heap.old.committedBytes(), rss, pinned, pinnedAfter);
            heap.unpin(pinnedAfter);
            stack.popFrame();
            return outcome;
        }
    }

    @Test
    void shouldGiveTheEmptiedBlocksBackAndKeepEveryObjectReachable() {
        Assumptions.assumeTrue(ProcMaps.available(), "no /proc/self/smaps");
        Outcome without = run(false);
        Outcome with = run(true);
        // 100,000 cells of 24 bytes fill 37 blocks of 64 KiB; one in eight lives after the collection.
        assertTrue(without.committedBytes() >= 36 * 65536, () -> "without compaction: " + without);
        assertTrue(with.committedBytes() * 4 <= without.committedBytes(),
                () -> "with compaction the old generation commits at most a quarter: " + with + " vs " + without);
        assertTrue(with.rssBytes() * 4 <= without.rssBytes(),
                () -> "and the kernel sees the pages gone (Rss): " + with + " vs " + without);
        assertEquals(with.pinnedBefore(), with.pinnedAfter(), "the pinned object did not move");
    }

    @Test
    void shouldMoveUnpinnedObjectsOutOfSparseBlocks() {
        try (GcHeap heap = GcHeap.builder().withNurseryBytes(1 << 20).withOldGenerationLimitBytes(16 << 20)
                .withTenureAge(1).withCompaction(true).withVerifyAfterCollection(true).build()) {
            int item = heap.registerType(new TypeLayout.Fixed("Item", 16, 0));
            Handle first = heap.newHandle(heap.allocate(item));
            Handle second = heap.newHandle(heap.allocate(item));
            heap.setReference(first.get(), 0, second.get());
            for (int i = 0; i < 20_000; i++) {
                heap.allocate(item);
            }
            heap.collect(false);
            long firstOld = first.get();
            long secondOld = second.get();
            heap.collect(true);
            assertNotEquals(firstOld, first.get(), "the handle follows the moved object");
            assertEquals(second.get(), heap.getReference(first.get(), 0), "the reference between them updated");
            assertNotEquals(secondOld, second.get(), "both lived in one sparse block, so both moved");
            assertTrue(heap.stats.compactedBytes >= 2 * 24, () -> "compacted " + heap.stats.compactedBytes);
        }
    }
}
