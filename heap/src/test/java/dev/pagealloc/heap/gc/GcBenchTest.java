package dev.pagealloc.heap.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Boehm's GCBench on the heap: the published program's output line for line, and its long-lived data intact. */
class GcBenchTest {

    // The original prints times and memory sizes; they vary, so those lines are matched by their shape.
    private static final String MEMORY = " Total memory available=\\d+ bytes  Free memory=\\d+ bytes";

    @Test
    void shouldPrintGcBenchsOutputWithTheLongLivedDataIntact() {
        try (GcHeap heap = GcHeap.builder().withNurseryBytes(16 << 20).withOldGenerationLimitBytes(64 << 20)
                .withVerifyAfterCollection(true).build()) {
            GcBench bench = new GcBench(heap);
            List<String> lines = new ArrayList<>();
            bench.run(lines::add);

            List<String> expected = new ArrayList<>(List.of(
                    Pattern.quote("Garbage Collector Test"),
                    Pattern.quote(" Stretching memory with a binary tree of depth 18"),
                    MEMORY,
                    Pattern.quote(" Creating a long-lived binary tree of depth 16"),
                    Pattern.quote(" Creating a long-lived array of 500000 doubles"),
                    MEMORY));
            // 2 * treeSize(18) / treeSize(d), treeSize(d) = 2^(d+1) - 1, as the published program computes it.
            int[][] iterationsByDepth = {{4, 33824}, {6, 8256}, {8, 2052}, {10, 512}, {12, 128}, {14, 32}, {16, 8}};
            for (int[] step : iterationsByDepth) {
                expected.add(Pattern.quote("Creating " + step[1] + " trees of depth " + step[0]));
                expected.add("\tTop down construction took \\d+msecs");
                expected.add("\tBottom up construction took \\d+msecs");
            }
            expected.add(MEMORY);
            expected.add("Completed in \\d+ms\\.");
            assertEquals(expected.size(), lines.size(), () -> String.join("\n", lines));
            for (int i = 0; i < expected.size(); i++) {
                assertTrue(lines.get(i).matches(expected.get(i)),
                        "line " + i + ": '" + lines.get(i) + "' does not match '" + expected.get(i) + "'");
            }
            GcStatistics stats = heap.statistics();
            assertTrue(stats.minorCollections() > 10, stats::toString);
            assertEquals(1, stats.largeObjects(), "the long-lived array is the one large object: " + stats);
            heap.verify();
        }
    }

    @Test
    void shouldBuildTopDownTreesWhoseNodesAllSurvive() {
        try (GcHeap heap = GcHeap.builder().withNurseryBytes(256 << 10).withOldGenerationLimitBytes(16 << 20)
                .withVerifyAfterCollection(true).build()) {
            GcBench bench = new GcBench(heap);
            ShadowStack stack = heap.shadowStack();
            stack.pushFrame();
            // An equal layout gets GcBench's node type id.
            int node = heap.registerType(new TypeLayout.Fixed("Node", 24, 0, 8));
            int root = stack.addRoot(heap.allocate(node));
            bench.populate(stack, 12, root);
            assertEquals(GcBench.treeSize(12), bench.count(stack.root(root)), "every node of the depth-12 tree");
            assertTrue(heap.statistics().minorCollections() > 0, "collections ran while the tree was built");
            stack.popFrame();
        }
    }
}
