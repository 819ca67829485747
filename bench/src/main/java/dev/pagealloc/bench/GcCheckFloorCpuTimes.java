package dev.pagealloc.bench;

import dev.pagealloc.heap.gc.GcHeap;
import dev.pagealloc.heap.gc.ReferenceSlot;
import dev.pagealloc.heap.gc.ShadowStack;
import dev.pagealloc.heap.gc.TypeLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The floor of a checked off-heap object API, measured on binary-trees' mutator: how much of the GC heap's
 * per-node cost any API must pay that keeps objects off the Java heap and makes, on every call, the checks
 * issue 11 asks for. The same program (depth-12 trees of 8,191 nodes built bottom-up 2,000 times per round,
 * then one tree checked, its nodes counted, 2,000 times) runs on these peers, interleaved in each round, by the
 * thread's CPU time:
 * <ol start="0">
 * <li>Java objects (a record tree);
 * <li>raw off-heap memory: objects of a header word and two reference words bumped in a 32 MiB space (the
 *     size of {@link GcMutatorCpuTimes}' nursery; the bump pointer goes back to the start, between trees, when
 *     the next tree does not fit: no collection), unchecked reads, roots in a {@code long[]};
 * <li>1 with every read checked against the exact payload size in the object's header;
 * <li>2 with the slot's kind checked: the header's type id selects a mask of reference slots from a
 *     {@code long[]};
 * <li>3 with every object argument (reads, pushed roots, references passed to allocation) tested in a start
 *     bitmap, one bit per 8 bytes, set at allocation and cleared when the space is reused;
 * <li>4 with the owner thread compared and a state word read (opaque) on every call, as a stop-the-world
 *     collector's safepoints need;
 * <li>the GC heap through its {@link ShadowStack}, as {@link GcMutatorCpuTimes} runs it;
 * </ol>
 * level 5 with the heap's shortcut (objects the space handed out since it was last reset skip the start test),
 * and each check alone on top of level 1: the bounds (level 2 itself), the start bitmap, the owner and state
 * word. Each level is the simplest correct code for what it claims (its {@link CheckFloorSpace.Check}s);
 * {@code CheckFloorLevelsTest} shows each refuses what it claims and nothing more.
 *
 * <p>Usage: {@code java --enable-native-access=ALL-UNNAMED -cp pagealloc-bench.jar
 * dev.pagealloc.bench.GcCheckFloorCpuTimes [rounds]} (default 10, after 4 warm-up rounds); prints ns per node
 * (minimum and median of the rounds) and the per-node total's ratio to level 0. Single-threaded. With
 * {@code -Dpagealloc.bench.depth=N} the trees have depth N (default 12), as many per round as make about 16
 * million nodes, and the off-heap space holds at least three trees.
 */
public final class GcCheckFloorCpuTimes {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    // GcMutatorCpuTimes' trees (its depth option included), as levels 0 and 6 run its code.
    static final int DEPTH = GcMutatorCpuTimes.DEPTH;
    static final long TREE_NODES = GcMutatorCpuTimes.TREE_NODES;
    private static final int TREES = GcMutatorCpuTimes.TREES;
    private static final double NODES = TREES * (double) TREE_NODES;
    private static final int WARM_UP_ROUNDS = 4;

    private GcCheckFloorCpuTimes() {}

    /**
     * Runs the measurement and prints, per peer, the ns per node of building and checking.
     *
     * @param args optionally the number of measured rounds
     */
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        List<Peer> peers = new ArrayList<>();
        peers.add(new JavaObjects());
        peers.add(new CheckFloorLevels.Raw());
        peers.add(new CheckFloorLevels.Bounds());
        peers.add(new CheckFloorLevels.SlotKinds());
        peers.add(new CheckFloorLevels.StartBits());
        peers.add(new CheckFloorLevels.Confined());
        peers.add(new CheckFloorLevels.ConfinedKnown());
        peers.add(new CheckFloorLevels.StartBitsAlone());
        peers.add(new CheckFloorLevels.ConfinedAlone());
        try (HeapPeer heap = new HeapPeer()) {
            peers.add(heap);
            double[][] build = new double[peers.size()][rounds];
            double[][] check = new double[peers.size()][rounds];
            long sink = 0;
            for (int r = -WARM_UP_ROUNDS; r < rounds; r++) {
                for (int p = 0; p < peers.size(); p++) {
                    Peer peer = peers.get(p);
                    long t0 = THREADS.getCurrentThreadCpuTime();
                    sink += peer.buildTrees(TREES);
                    long t1 = THREADS.getCurrentThreadCpuTime();
                    peer.buildKept();
                    long t2 = THREADS.getCurrentThreadCpuTime();
                    long counted = peer.checkKept(TREES);
                    long t3 = THREADS.getCurrentThreadCpuTime();
                    if (counted != TREES * TREE_NODES) {
                        throw new IllegalStateException(peer.label() + ": counted " + counted + " nodes, not "
                                + TREES * TREE_NODES);
                    }
                    if (r >= 0) {
                        build[p][r] = (t1 - t0) / NODES;
                        check[p][r] = (t3 - t2) / NODES;
                    }
                }
            }
            print(peers, build, check, sink);
        } finally {
            for (Peer peer : peers) {
                if (peer instanceof CheckFloorSpace space) {
                    space.close();
                }
            }
        }
    }

    private static void print(List<Peer> peers, double[][] build, double[][] check, long sink) {
        int rounds = build[0].length;
        double[][] total = new double[peers.size()][rounds];
        for (int p = 0; p < peers.size(); p++) {
            for (int r = 0; r < rounds; r++) {
                total[p][r] = build[p][r] + check[p][r];
            }
        }
        System.out.printf(Locale.ROOT, "ns of thread CPU per node (minimum / median of %d rounds; %d-node trees, %d"
                + " built and one checked %d times per round); ratio: total / Java objects' total (of the minima /"
                + " median of the rounds' ratios) (%d)%n", rounds, TREE_NODES, TREES, TREES, sink & 1);
        System.out.printf(Locale.ROOT, "%-42s %13s %13s %13s %13s%n", "peer", "build", "check", "total", "ratio");
        for (int p = 0; p < peers.size(); p++) {
            double[] ratio = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                ratio[r] = total[p][r] / total[0][r];
            }
            System.out.printf(Locale.ROOT, "%-42s %6.2f %6.2f %6.2f %6.2f %6.2f %6.2f %6.2f %6.2f%n",
                    peers.get(p).label(), min(build[p]), Results.median(build[p]), min(check[p]),
                    Results.median(check[p]), min(total[p]), Results.median(total[p]), min(total[p]) / min(total[0]),
                    Results.median(ratio));
        }
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElseThrow();
    }

    /** One implementation of the program, measured in three parts. */
    abstract static class Peer {
        /** {@return a name for the report} */
        abstract String label();

        /** Builds {@code trees} trees and drops them; {@return a value that depends on them} */
        abstract long buildTrees(int trees);

        /** Builds the tree {@link #checkKept} checks. */
        abstract void buildKept();

        /** Checks the kept tree {@code times} times; {@return the nodes counted} */
        abstract long checkKept(int times);
    }

    /** Level 0: Java objects. */
    static final class JavaObjects extends Peer {
        private GcMutatorCpuTimes.Node kept;

        @Override
        String label() {
            return "0 Java objects";
        }

        @Override
        long buildTrees(int trees) {
            long sink = 0;
            for (int i = 0; i < trees; i++) {
                sink += GcMutatorCpuTimes.build(DEPTH) == null ? 1 : 0;
            }
            return sink;
        }

        @Override
        void buildKept() {
            kept = GcMutatorCpuTimes.build(DEPTH);
        }

        @Override
        long checkKept(int times) {
            long nodes = 0;
            for (int i = 0; i < times; i++) {
                nodes += GcMutatorCpuTimes.check(kept);
            }
            return nodes;
        }

    }

    /**
     * Level 6: the GC heap through the thread's shadow stack, sized and called as in {@link GcMutatorCpuTimes}
     * (its build, and its check with slot handles).
     */
    static final class HeapPeer extends Peer implements AutoCloseable {
        private final GcHeap heap = GcMutatorCpuTimes.heap();
        private final int node = heap.registerType(new TypeLayout.Fixed("Node", 16, 0, 8));
        private final ReferenceSlot left = heap.referenceSlot(node, 0);
        private final ReferenceSlot right = heap.referenceSlot(node, 8);
        private final ShadowStack stack = heap.shadowStack();
        private long kept;

        @Override
        String label() {
            return "6 GC heap (ShadowStack)";
        }

        @Override
        long buildTrees(int trees) {
            long sink = 0;
            for (int i = 0; i < trees; i++) {
                sink += GcMutatorCpuTimes.build(stack, node, DEPTH);
            }
            return sink;
        }

        @Override
        void buildKept() {
            kept = GcMutatorCpuTimes.build(stack, node, DEPTH);
        }

        @Override
        long checkKept(int times) {
            long nodes = 0;
            for (int i = 0; i < times; i++) {
                nodes += GcMutatorCpuTimes.check(stack, left, right, kept);
            }
            return nodes;
        }


        @Override
        public void close() {
            heap.close();
        }
    }
}
