package dev.pagealloc.heap.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Minor collections alone must not let dead promoted objects fill the old generation: a minor collection
 * runs a major one when the generation's use passes its trigger (or a promotion finds no room).
 */
class MajorTriggerTest {

    @Test
    void promotedGarbageIsCollectedWithoutAskingForAFullCollection() {
        long limit = 1 << 20;
        try (GcHeap heap = GcHeap.builder().withNurseryBytes(512 << 10).withOldGenerationLimitBytes(limit)
                .withTenureAge(1).withVerifyAfterCollection(true).build()) {
            int pair = heap.registerType(new TypeLayout.Fixed("Pair", 16, 0, 8));
            ShadowStack stack = heap.shadowStack();
            for (int round = 0; round < 40; round++) {
                // 100 KiB of objects, alive at the minor collection (promoted: tenure age 1), dead after it.
                stack.pushFrame();
                int head = stack.addRoot(0);
                for (int i = 0; i < 100 * 1024 / 24; i++) {
                    stack.setRoot(head, heap.allocate(pair, stack.root(head), 0));
                }
                heap.collect(false);
                stack.popFrame();
                assertTrue(heap.statistics().oldGenerationUsedBytes() <= limit / 8 * 7 + 100 * 1024,
                        "old generation use stays near the trigger: " + heap.statistics());
            }
            GcStatistics stats = heap.statistics();
            assertTrue(stats.majorCollections() >= 3, "4 MB promoted into a 1 MiB generation: " + stats);
            assertEquals(0, stats.nurseryUsedBytes() % (64 << 10), stats.toString());
            assertTrue(stats.nurseryUsedBytes() <= 2 * (64 << 10), "nothing kept in place for want of room: " + stats);
        }
    }
}
