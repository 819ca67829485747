package dev.pagealloc.bench;

import dev.pagealloc.heap.gc.GcHeap;
import dev.pagealloc.heap.gc.ReferenceSlot;
import dev.pagealloc.heap.gc.ShadowStack;
import dev.pagealloc.heap.gc.TypeLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;

/**
 * The mutator's share of binary-trees, per node: building a tree bottom-up and checking it (counting its nodes),
 * on the GC heap through the thread's {@link ShadowStack} (as {@code BinaryTrees} does; the check twice, with
 * offsets and with {@link ReferenceSlot} handles) and on Java objects, by the thread's CPU time, so that the JVM's
 * collector threads do not count and the heap's collections (run by this thread) do. By default trees of depth
 * 12 (8,191 nodes), built 2,000 times per round, then one checked 2,000 times; the minimum of the measured rounds,
 * peers interleaved in each round.
 *
 * <p>Usage: {@code java --enable-native-access=ALL-UNNAMED -cp pagealloc-bench.jar
 * dev.pagealloc.bench.GcMutatorCpuTimes [rounds]} (default 10, after 4 warm-up rounds). Single-threaded. With
 * {@code -Dpagealloc.bench.depth=N} the trees have depth N (default 12), as many per round as make about 16
 * million nodes: from depth 18 (12 MiB trees) they outgrew the caches of the machine measured.
 */
public final class GcMutatorCpuTimes {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    // Deeper trees outgrow the caches, where every extra instruction of a check costs more (fewer nodes' loads in
    // flight at once).
    static final int DEPTH = Integer.getInteger("pagealloc.bench.depth", 12);
    static final long TREE_NODES = (1L << (DEPTH + 1)) - 1;
    // About 16 million nodes a round whatever the depth: 2,000 trees at depth 12.
    static final int TREES = (int) Math.max(1, 2000 * 8191L / TREE_NODES);
    private static final double NODES = TREES * (double) TREE_NODES;
    // 32 MiB at depth 12; room for four trees of 24-byte nodes at larger depths, so that a collection seldom
    // moves the checked tree while it is built (the minimum over the rounds takes one it did not).
    private static final long NURSERY_BYTES = Math.max(32L << 20, (TREE_NODES * 24 * 4 + (1 << 20)) & -(1L << 20));

    private GcMutatorCpuTimes() {}

    record Node(Node left, Node right) {
    }

    /**
     * Runs the measurement and prints the ns per node of each part.
     *
     * @param args optionally the number of measured rounds
     */
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        double[] best = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
        long sink = 0;
        try (GcHeap heap = heap()) {
            int node = heap.registerType(new TypeLayout.Fixed("Node", 16, 0, 8));
            ReferenceSlot left = heap.referenceSlot(node, 0);
            ReferenceSlot right = heap.referenceSlot(node, 8);
            ShadowStack stack = heap.shadowStack();
            for (int r = -4; r < rounds; r++) {
                long t0 = THREADS.getCurrentThreadCpuTime();
                for (int i = 0; i < TREES; i++) {
                    sink += build(stack, node, DEPTH);
                }
                long t1 = THREADS.getCurrentThreadCpuTime();
                long tree = build(stack, node, DEPTH);
                long t2 = THREADS.getCurrentThreadCpuTime();
                for (int i = 0; i < TREES; i++) {
                    sink += check(stack, tree);
                }
                long t3 = THREADS.getCurrentThreadCpuTime();
                for (int i = 0; i < TREES; i++) {
                    sink += check(stack, left, right, tree);
                }
                long t3s = THREADS.getCurrentThreadCpuTime();
                for (int i = 0; i < TREES; i++) {
                    sink += build(DEPTH) == null ? 1 : 0;
                }
                long t4 = THREADS.getCurrentThreadCpuTime();
                Node javaTree = build(DEPTH);
                long t5 = THREADS.getCurrentThreadCpuTime();
                for (int i = 0; i < TREES; i++) {
                    sink += check(javaTree);
                }
                long t6 = THREADS.getCurrentThreadCpuTime();
                if (r >= 0) {
                    long[] nanos = {t1 - t0, t3 - t2, t3s - t3, t4 - t3s, t6 - t5};
                    for (int k = 0; k < nanos.length; k++) {
                        best[k] = Math.min(best[k], nanos[k] / NODES);
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "ns of thread CPU per node, minimum of %d rounds: heap build %.2f, check %.2f,"
                + " check with slot handles %.2f; Java objects build %.2f, check %.2f (%d)%n", rounds, best[0], best[1],
                best[2], best[3], best[4], sink & 1);
    }

    /** {@return a heap sized for the trees: the nursery holds at least four, the old generation twice that} */
    static GcHeap heap() {
        return GcHeap.builder().withNurseryBytes(NURSERY_BYTES).withOldGenerationLimitBytes(2 * NURSERY_BYTES).build();
    }

    // Static, the stack and the type id as arguments: instance methods reading them from fields built 0.8 ns per
    // node slower (8.0-8.2 against 7.2-7.4 ns). GcCheckFloorCpuTimes runs these too, as its level 6 and 0.
    static long build(ShadowStack stack, int node, int depth) {
        if (depth == 0) {
            return stack.allocate(node);
        }
        stack.push(build(stack, node, depth - 1));
        long right = build(stack, node, depth - 1);
        return stack.allocatePopped(node, right);
    }

    private static long check(ShadowStack stack, long node) {
        long left = stack.getReference(node, 0);
        return left == 0 ? 1 : 1 + check(stack, left) + check(stack, stack.getReference(node, 8));
    }

    static long check(ShadowStack stack, ReferenceSlot left, ReferenceSlot right, long node) {
        long leftNode = stack.getReference(left, node);
        return leftNode == 0 ? 1
                : 1 + check(stack, left, right, leftNode) + check(stack, left, right, stack.getReference(right, node));
    }

    static Node build(int depth) {
        return depth == 0 ? new Node(null, null) : new Node(build(depth - 1), build(depth - 1));
    }

    static long check(Node node) {
        return node.left() == null ? 1 : 1 + check(node.left()) + check(node.right());
    }
}
