package dev.pagealloc.bench;

import dev.pagealloc.heap.gc.BinaryTrees;
import dev.pagealloc.heap.gc.GcHeap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * binary-trees (Benchmarks Game rules) on pagealloc's {@link GcHeap} against the same program on ordinary
 * Java objects, side by side in one fork; the two subclasses run it under HotSpot's ParallelGC
 * ({@link GcBinaryTreesParallelBenchmark}) and G1 ({@link GcBinaryTreesG1Benchmark}), the same JVM settings
 * otherwise. The ratio is {@code gcHeap / javaObjects} per collector. One operation is a whole run of the
 * program for {@code n}, its output lines consumed, not printed.
 *
 * <p>{@code n} is 16 by default, so that a short run stays short; {@code -p n=21} is the size.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
public abstract class GcBinaryTreesBenchmark {

    /** The program's argument: the maximum tree depth. */
    @Param("16")
    public int n;

    private GcHeap heap;
    private BinaryTrees trees;

    /** Builds a heap of {@link #heapBytes(int)}. */
    @Setup
    public void setUp() {
        heap = GcHeap.builder().withHeapBytes(heapBytes(n)).build();
        trees = new BinaryTrees(heap);
    }

    /**
     * {@return the heap budget for {@code n}, in bytes}: the Java side's 1 GiB ({@code -Xmx1g}), which {@link
     * dev.pagealloc.heap.gc.GcHeapBuilder#withHeapBytes} splits as HotSpot splits it; more, in 64 MiB steps, if
     * the old generation's two thirds cannot hold the long-lived and the stretch trees together (2^(n+2) nodes
     * of 24 bytes)
     */
    static long heapBytes(int n) {
        long treeBytes = 24L << (Math.max(6, n) + 2);
        return Math.max(1L << 30, Math.ceilDiv(3 * treeBytes, 64L << 20) * (64L << 20));
    }

    /** Returns the heap's memory. */
    @TearDown
    public void tearDown() {
        heap.close();
    }

    /** The program on the GC heap: every node a heap object, children held in shadow-stack roots. */
    @Benchmark
    public void gcHeap(Blackhole blackhole) {
        trees.run(n, blackhole::consume);
    }

    /** The same program on Java objects, collected by the JVM's collector. */
    @Benchmark
    public void javaObjects(Blackhole blackhole) {
        JavaTrees.run(n, blackhole);
    }

    /** binary-trees on Java objects, written as the heap version is (bottom-up, recursive check). */
    static final class JavaTrees {
        private static final int MIN_DEPTH = 4;

        private record Node(Node left, Node right) {
        }

        private JavaTrees() {
        }

        static void run(int n, Blackhole out) {
            int maxDepth = Math.max(MIN_DEPTH + 2, n);
            int stretchDepth = maxDepth + 1;
            out.consume("stretch tree of depth " + stretchDepth + "\t check: " + check(bottomUp(stretchDepth)));
            Node longLived = bottomUp(maxDepth);
            for (int depth = MIN_DEPTH; depth <= maxDepth; depth += 2) {
                int iterations = 1 << (maxDepth - depth + MIN_DEPTH);
                long checks = 0;
                for (int i = 0; i < iterations; i++) {
                    checks += check(bottomUp(depth));
                }
                out.consume(iterations + "\t trees of depth " + depth + "\t check: " + checks);
            }
            out.consume("long lived tree of depth " + maxDepth + "\t check: " + check(longLived));
        }

        private static Node bottomUp(int depth) {
            return depth == 0 ? new Node(null, null) : new Node(bottomUp(depth - 1), bottomUp(depth - 1));
        }

        private static long check(Node node) {
            return node.left() == null ? 1 : 1 + check(node.left()) + check(node.right());
        }
    }
}
