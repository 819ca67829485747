package dev.pagealloc.bench;

import com.sun.management.OperatingSystemMXBean;
import dev.pagealloc.heap.gc.BinaryTrees;
import dev.pagealloc.heap.gc.GcHeap;
import dev.pagealloc.heap.gc.GcStatistics;
import dev.pagealloc.heap.gc.ShadowStack;
import dev.pagealloc.heap.gc.TypeLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;
import org.openjdk.jmh.infra.Blackhole;

/**
 * A cross-check of the GC heap's benchmarks on a shared machine, timed by CPU time instead of the wall
 * clock (which, on a loaded machine, includes the time other processes hold the CPU):
 * <ul>
 *   <li>binary-trees n=16 on the heap and on Java objects ({@link GcBinaryTreesBenchmark}'s two
 *       programs), by the <em>process's</em> CPU time, so that the JVM's collector threads count for the
 *       Java objects as the heap's collections count for ours (the JIT's threads count for both; the
 *       first rounds are warm-up). Run it once per collector: {@code -XX:+UseParallelGC}, {@code -XX:+UseG1GC};
 *   <li>the pauses per MiB of live data, by the collecting thread's CPU time: a minor collection copying
 *       16 MiB of 24-byte listed objects into survivor blocks, the same promoting them into the old
 *       generation (into blocks an explicit full collection decommitted, and into the spare blocks a major
 *       collection the heap ran on its own kept), and a full collection with 16 MiB live in the old generation.
 * </ul>
 *
 * <p>Usage: {@code java --enable-native-access=ALL-UNNAMED -XX:+UseG1GC -Xms1g -Xmx1g -cp pagealloc-bench.jar
 * dev.pagealloc.bench.GcCpuTimes [rounds [n]]}; prints medians over the rounds (default 5) after two warm-up
 * rounds, and the heap's collection pauses per run of binary-trees (the rest of its time is the mutator's); with
 * {@code n}, binary-trees of that size alone. The heap is sized as {@link GcBinaryTreesBenchmark} sizes it: the
 * JVM's 1 GiB, split as HotSpot splits it. Single-threaded; not thread-safe.
 */
public final class GcCpuTimes {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final OperatingSystemMXBean OS =
            (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private static final int LIVE_MIB = 16;

    private GcCpuTimes() {}

    /**
     * Runs the measurements and prints them.
     *
     * @param args optionally the number of measured rounds
     */
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        // With a second argument, binary-trees of that n alone (the pauses are skipped): "1 21" is the size.
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        Blackhole blackhole = new Blackhole(
                "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");
        long[] heapTrees = new long[rounds];
        long[] javaTrees = new long[rounds];
        // Per measured round of the heap's program: its collections' pauses (wall clock, one thread), and counts.
        long[] pauses = new long[rounds];
        long minors = 0;
        long majors = 0;
        try (GcHeap heap = GcHeap.builder().withHeapBytes(GcBinaryTreesBenchmark.heapBytes(n)).build()) {
            BinaryTrees trees = new BinaryTrees(heap);
            for (int r = -2; r < rounds; r++) {
                GcStatistics before = heap.statistics();
                long start = OS.getProcessCpuTime();
                trees.run(n, blackhole::consume);
                long middle = OS.getProcessCpuTime();
                GcStatistics after = heap.statistics();
                GcBinaryTreesBenchmark.JavaTrees.run(n, blackhole);
                long end = OS.getProcessCpuTime();
                if (r >= 0) {
                    heapTrees[r] = middle - start;
                    javaTrees[r] = end - middle;
                    pauses[r] = after.pauses().totalNanos() - before.pauses().totalNanos();
                    minors += after.minorCollections() - before.minorCollections();
                    majors += after.majorCollections() - before.majorCollections();
                }
            }
        }
        double heapMillis = median(heapTrees) / 1e6;
        double javaMillis = median(javaTrees) / 1e6;
        System.out.printf(Locale.ROOT, "binary-trees n=%d, process CPU: heap %.0f ms, Java objects %.0f ms, %.1fx%n",
                n, heapMillis, javaMillis, heapMillis / javaMillis);
        // Pauses are timed by the wall clock (GcStatistics): on a loaded machine they include time off the CPU.
        System.out.printf(Locale.ROOT, "  heap's collections: %.0f ms of pauses per run (median, wall clock), %.1f"
                + " minor and %.1f major per run%n", median(pauses) / 1e6, (double) minors / rounds,
                (double) majors / rounds);
        if (args.length > 1) {
            return;
        }
        System.out.printf(Locale.ROOT, "minor copy to survivors: %.2f ms per MiB%n", pause(15, false, rounds));
        System.out.printf(Locale.ROOT, "minor promotion to old: %.2f ms per MiB%n", pause(1, false, rounds));
        System.out.printf(Locale.ROOT, "minor promotion to old, into spare blocks: %.2f ms per MiB%n",
                promotionIntoSpares(rounds));
        System.out.printf(Locale.ROOT, "full collection, old live data: %.2f ms per MiB (x 1024 per GiB)%n",
                pause(1, true, rounds));
    }

    /** {@return the median thread CPU ms per MiB of the collection} */
    private static double pause(int tenureAge, boolean full, int rounds) {
        long[] nanos = new long[rounds];
        try (GcHeap heap = GcHeap.builder().withNurseryBytes(64L << 20).withOldGenerationLimitBytes(256L << 20)
                .withTenureAge(tenureAge).build()) {
            int pair = heap.registerType(new TypeLayout.Fixed("Pair", 16, 0, 8));
            ShadowStack stack = heap.shadowStack();
            for (int r = -2; r < rounds; r++) {
                dropFrames(stack);
                heap.collect(true);
                buildLiveList(heap, stack, pair);
                if (full) {
                    heap.collect(false); // promotes the list: the timed collection finds it old
                }
                long start = THREADS.getCurrentThreadCpuTime();
                heap.collect(full);
                long end = THREADS.getCurrentThreadCpuTime();
                if (r >= 0) {
                    nanos[r] = end - start;
                }
            }
        }
        return median(nanos) / 1e6 / LIVE_MIB;
    }

    /**
     * {@return the median thread CPU ms per MiB of a minor collection promoting {@value #LIVE_MIB} MiB in a heap
     * whose major collections run on their own}: each round's list replaces the last, and the old generation (64
     * MiB, first trigger 32 MiB) runs a major collection every second round, whose sweep keeps as spares the
     * blocks the next round fills. Rounds that ran a major collection are left out, so the figure is promotion
     * into spare blocks (where the explicit full collections of {@link #pause} leave decommitted ones).
     */
    private static double promotionIntoSpares(int rounds) {
        long[] nanos = new long[rounds];
        int measured = 0;
        try (GcHeap heap = GcHeap.builder().withNurseryBytes(64L << 20).withOldGenerationLimitBytes(64L << 20)
                .withTenureAge(1).build()) {
            int pair = heap.registerType(new TypeLayout.Fixed("Pair", 16, 0, 8));
            ShadowStack stack = heap.shadowStack();
            // The first three rounds grow the generation and run the first major collection.
            for (int r = 0; measured < rounds && r < 3 + 4 * rounds; r++) {
                dropFrames(stack);
                buildLiveList(heap, stack, pair);
                long majors = heap.statistics().majorCollections();
                long start = THREADS.getCurrentThreadCpuTime();
                heap.collect(false);
                long end = THREADS.getCurrentThreadCpuTime();
                if (r >= 3 && heap.statistics().majorCollections() == majors) {
                    nanos[measured++] = end - start;
                }
            }
        }
        return median(Arrays.copyOf(nanos, measured)) / 1e6 / LIVE_MIB;
    }

    private static void dropFrames(ShadowStack stack) {
        while (stack.depth() > 0) {
            stack.popFrame();
        }
    }

    /** Builds a list of {@value #LIVE_MIB} MiB of 24-byte objects of type {@code pair}, rooted in a new frame. */
    private static void buildLiveList(GcHeap heap, ShadowStack stack, int pair) {
        stack.pushFrame();
        int head = stack.addRoot(0);
        for (long i = 0; i < ((long) LIVE_MIB << 20) / 24; i++) {
            long node = heap.allocate(pair);
            heap.setReference(node, 0, stack.root(head));
            stack.setRoot(head, node);
        }
    }

    private static double median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2.0;
    }
}
