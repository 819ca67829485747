package dev.pagealloc.bench;

import dev.pagealloc.api.MemoryTagging;
import dev.pagealloc.heap.gc.GcHeap;
import dev.pagealloc.heap.gc.ShadowStack;
import dev.pagealloc.heap.gc.TypeLayout;
import dev.pagealloc.tagging.GcObjectTagging;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * The GC heap's allocation fast path against Java's, side by side in one run: {@code allocateSmall} /
 * {@code javaAllocateSmall} allocate one 16-byte object (a header and two references on our heap), in ns
 * per object, garbage at once (the minor collections it causes are included, and cost little with nothing
 * live). The allocating thread is attached (it has a shadow stack), so allocation takes the lock-free path;
 * {@code allocateSmallThroughStack} calls the stack's {@code allocate} instead of the heap's.
 * {@code allocateSmallChecked} is the same on a heap in checked mode (object tags from the software tagger:
 * every call locked, every object's granules tagged), the price of finding bugs with it.
 * The pauses are in {@link GcPauseBenchmark}.
 */
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
public class GcAllocationBenchmark {

    private static final int BATCH = 1000;

    private GcHeap heap;
    private ShadowStack stack;
    private int pair;
    private GcHeap checkedHeap;
    private int checkedPair;

    /** A heap with a 64 MiB nursery; this thread attached. */
    @Setup(Level.Trial)
    public void setUp() {
        heap = GcHeap.builder().withNurseryBytes(64L << 20).withOldGenerationLimitBytes(256L << 20)
                .withTenureAge(15).build();
        pair = heap.registerType(new TypeLayout.Fixed("Pair", 16, 0, 8));
        stack = heap.shadowStack();
        checkedHeap = GcHeap.builder().withNurseryBytes(64L << 20).withOldGenerationLimitBytes(256L << 20)
                .withTenureAge(15).withObjectTags(GcObjectTagging.software(MemoryTagging.of(
                        MemoryTagging.TaggingPolicy.SOFTWARE, MemoryTagging.TagCheckMode.SYNC))).build();
        checkedPair = checkedHeap.registerType(new TypeLayout.Fixed("Pair", 16, 0, 8));
        checkedHeap.shadowStack();
    }

    /** Returns the heap's memory. */
    @TearDown(Level.Trial)
    public void tearDown() {
        heap.close();
        checkedHeap.close();
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

    /** A small object on our heap through the thread's stack: no per-call lookup of the caller's stack. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @OperationsPerInvocation(BATCH)
    public void allocateSmallThroughStack(Blackhole blackhole) {
        for (int i = 0; i < BATCH; i++) {
            blackhole.consume(stack.allocate(pair));
        }
    }

    /** A small object on a checked heap: tagged, through the lock. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @OperationsPerInvocation(BATCH)
    public void allocateSmallChecked(Blackhole blackhole) {
        for (int i = 0; i < BATCH; i++) {
            blackhole.consume(checkedHeap.allocate(checkedPair));
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
}
