package dev.pagealloc.heap.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BinaryTreesTest {

    @Test
    void shouldPrintTheBenchmarksGameOutputForTen() {
        try (GcHeap heap = GcHeap.builder().withNurseryBytes(1 << 20).withOldGenerationLimitBytes(16 << 20)
                .withVerifyAfterCollection(true).build()) {
            List<String> lines = new ArrayList<>();
            new BinaryTrees(heap).run(10, lines::add);
            assertEquals(List.of(
                    "stretch tree of depth 11\t check: 4095",
                    "1024\t trees of depth 4\t check: 31744",
                    "256\t trees of depth 6\t check: 32512",
                    "64\t trees of depth 8\t check: 32704",
                    "16\t trees of depth 10\t check: 32752",
                    "long lived tree of depth 10\t check: 2047"), lines);
            GcStatistics stats = heap.statistics();
            assertTrue(stats.minorCollections() > 0, stats::toString);
            heap.verify();
        }
    }

    @Test
    void shouldPrintTheSameOutputWhenCollectingEveryFewAllocations() {
        try (GcHeap heap = GcHeap.builder().withNurseryBytes(256 << 10).withOldGenerationLimitBytes(16 << 20)
                .withCollectEveryAllocations(997).withVerifyAfterCollection(true).build()) {
            List<String> lines = new ArrayList<>();
            new BinaryTrees(heap).run(6, lines::add);
            assertEquals(List.of(
                    "stretch tree of depth 7\t check: 255",
                    "64\t trees of depth 4\t check: 1984",
                    "16\t trees of depth 6\t check: 2032",
                    "long lived tree of depth 6\t check: 127"), lines);
            assertTrue(heap.statistics().minorCollections() >= 4, () -> heap.statistics().toString());
        }
    }
}
