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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The GC heap's allocation fast path and its minor pause, side by side in one run:
 * <ul>
 *   <li>{@code allocateSmall} / {@code javaAllocateSmall}: one 16-byte object (a header and two
 *       references on our heap), in ns per object, garbage at once (the minor collections it causes are
 *       included, and cost little with nothing live);
 *   <li>{@code minorPause}: one minor collection with {@code survivorMegabytes} MiB of live 24-byte
 *       objects (a 16-byte payload holding a reference to the next, so the copy is a traced list) in the
 *       nursery, all copied to survivor blocks; divide by the megabytes for the pause per MB copied.
 * </ul>
 */
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
public class GcAllocationBenchmark {

    private static final int BATCH = 1000;

    /** Live data in the nursery at each measured minor collection, in MiB. */
    @Param({"1", "8"})
    public int survivorMegabytes;

    private GcHeap heap;
    private int pair;
    private ShadowStack stack;

    /** A heap with room for the survivors twice over. */
    @Setup(Level.Trial)
    public void setUp() {
        heap = GcHeap.builder().withNurseryBytes(64L << 20).withOldGenerationLimitBytes(256L << 20)
                .withTenureAge(15).build();
        pair = heap.registerType(new TypeLayout.Fixed("Pair", 16, 0, 8));
        stack = heap.shadowStack();
    }

    /** Returns the heap's memory. */
    @TearDown(Level.Trial)
    public void tearDown() {
        heap.close();
    }

    /** A small object on our heap. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @OperationsPerInvocation(BATCH)
    public void allocateSmall(Blackhole blackhole) {
        for (int i = 0; i < BATCH; i++) {
            blackhole.consume(heap.allocate(pair));
        }
    }

    private record JavaPair(Object left, Object right) {
    }

    /** A small Java object, escaping to the blackhole. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @OperationsPerInvocation(BATCH)
    public void javaAllocateSmall(Blackhole blackhole) {
        for (int i = 0; i < BATCH; i++) {
            blackhole.consume(new JavaPair(null, null));
        }
    }

    /** Makes the live list: a fresh nursery (a collection first), then the objects, held by one root. */
    @Setup(Level.Invocation)
    public void fillNursery() {
        if (stack.depth() > 0) {
            stack.popFrame();
        }
        heap.collect(true);
        stack.pushFrame();
        int head = stack.addRoot(0);
        long objects = (survivorMegabytes << 20) / 24;
        for (long i = 0; i < objects; i++) {
            long node = heap.allocate(pair);
            heap.setReference(node, 0, stack.root(head));
            stack.setRoot(head, node);
        }
    }

    /** One minor collection copying {@code survivorMegabytes} MiB (24-byte objects) to survivor blocks. */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 5, batchSize = 1)
    @Measurement(iterations = 10, batchSize = 1)
    public void minorPause() {
        heap.collect(false);
    }
}
