package dev.pagealloc.bench;

import dev.pagealloc.heap.gc.GcHeap;
import dev.pagealloc.heap.gc.ShadowStack;
import dev.pagealloc.heap.gc.TypeLayout;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The GC heap's pauses per MiB of live data, each a single shot timed around one collection, the live data
 * built before it (untimed). The live data is a linked list of 24-byte objects (a header and a 16-byte
 * payload whose first word refers to the next), so every collection traces it object by object. Scores
 * are in microseconds per MiB (one operation is one MiB):
 * <ul>
 *   <li>{@code minorCopy}: a minor collection copying {@value #MINOR_MIB} MiB of nursery survivors into
 *       survivor blocks (tenure age 15); the target is under 1 ms (1,000 us) per MiB;
 *   <li>{@code minorPromote}: the same, promoting them all into the old generation (tenure age 1);
 *   <li>{@code majorMark}: a full collection ({@code collect(true)}: a minor, the major mark and sweep, a
 *       minor) with an empty nursery and {@value #MAJOR_MIB} MiB live in the old generation; us per MiB
 *       is about ms per GiB (x 1.024).
 * </ul>
 */
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, batchSize = 1)
@Measurement(iterations = 10, batchSize = 1)
public class GcPauseBenchmark {

    static final int MINOR_MIB = 16;
    static final int MAJOR_MIB = 128;
    private static final long OBJECT_BYTES = 24;

    /** A heap and its live list; the subclasses say where the list lives when it is collected. */
    @State(Scope.Thread)
    public abstract static class Live {
        GcHeap heap;
        int pair;
        ShadowStack stack;

        abstract GcHeap newHeap();

        /** Builds the heap; this thread is its mutator. */
        @Setup(Level.Trial)
        public void setUp() {
            heap = newHeap();
            pair = heap.registerType(new TypeLayout.Fixed("Pair", 16, 0, 8));
            stack = heap.shadowStack();
        }

        /** Returns the heap's memory. */
        @TearDown(Level.Trial)
        public void tearDown() {
            heap.close();
        }

        /** Drops the last list (a full collection frees it), then builds {@code mib} MiB of list in a root. */
        void build(int mib) {
            while (stack.depth() > 0) {
                stack.popFrame();
            }
            heap.collect(true);
            stack.pushFrame();
            int head = stack.addRoot(0);
            long objects = ((long) mib << 20) / OBJECT_BYTES;
            for (long i = 0; i < objects; i++) {
                long node = heap.allocate(pair);
                heap.setReference(node, 0, stack.root(head));
                stack.setRoot(head, node);
            }
        }
    }

    /** Survivors copied into survivor blocks. */
    public static class Survivors extends Live {
        @Override
        GcHeap newHeap() {
            return GcHeap.builder().withNurseryBytes(64L << 20).withOldGenerationLimitBytes(64L << 20)
                    .withTenureAge(15).build();
        }

        /** A fresh list in the nursery before each shot. */
        @Setup(Level.Invocation)
        public void fill() {
            build(MINOR_MIB);
        }
    }

    /** Survivors promoted into the old generation. */
    public static class Promoted extends Live {
        @Override
        GcHeap newHeap() {
            return GcHeap.builder().withNurseryBytes(64L << 20).withOldGenerationLimitBytes(128L << 20)
                    .withTenureAge(1).build();
        }

        /** A fresh list in the nursery before each shot. */
        @Setup(Level.Invocation)
        public void fill() {
            build(MINOR_MIB);
        }
    }

    /** A list in the old generation, built once. */
    public static class OldLive extends Live {
        @Override
        GcHeap newHeap() {
            return GcHeap.builder().withNurseryBytes(32L << 20).withOldGenerationLimitBytes(2L * MAJOR_MIB << 20)
                    .withTenureAge(1).build();
        }

        /** Builds the list and promotes all of it. */
        @Setup(Level.Trial)
        public void fill() {
            build(MAJOR_MIB);
            heap.collect(false);
        }
    }

    /** A minor collection copying {@value #MINOR_MIB} MiB into survivor blocks; us per MiB. */
    @Benchmark
    @OperationsPerInvocation(MINOR_MIB)
    public void minorCopy(Survivors live) {
        live.heap.collect(false);
    }

    /** A minor collection promoting {@value #MINOR_MIB} MiB into the old generation; us per MiB. */
    @Benchmark
    @OperationsPerInvocation(MINOR_MIB)
    public void minorPromote(Promoted live) {
        live.heap.collect(false);
    }

    /** A full collection with {@value #MAJOR_MIB} MiB live in the old generation; us per MiB. */
    @Benchmark
    @OperationsPerInvocation(MAJOR_MIB)
    public void majorMark(OldLive live) {
        live.heap.collect(true);
    }
}
