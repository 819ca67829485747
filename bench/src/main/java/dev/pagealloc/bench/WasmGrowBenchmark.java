package dev.pagealloc.bench;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.ViewSharing;
import dev.pagealloc.wasm.LinearMemory;
import dev.pagealloc.wasm.MemoryType;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code memory.grow} by one 64 KiB page of a linear memory (its default reservation: the 4 GiB index space
 * plus guards), from 1 MiB and from 1 GiB, beside the region it stands on ({@link Region#grow} with
 * {@link ViewSharing#SHARED} views, then the new view, as the memory publishes it). Each memory starts at
 * that size and grows {@value #GROW_STEPS} times by one page (16 MiB); then it is replaced inside the measured
 * operation, so both peers pay that once per {@value #GROW_STEPS} grows. The cost should not depend on the
 * size: nothing is copied, the base never moves.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 3, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 4, time = 500, timeUnit = TimeUnit.MILLISECONDS)
public class WasmGrowBenchmark {
    /** Grows per memory before it is replaced. */
    static final int GROW_STEPS = 256;
    private static final long PAGE = MemoryType.WASM_PAGE_BYTES;

    /** The size the memory grows from: {@code 1MiB} or {@code 1GiB}. */
    @Param({"1MiB", "1GiB"})
    public String memoryBytes;

    private long startPages;
    private MemoryType type;
    private LinearMemory memory;
    private PageAllocator allocator;
    private Region region;

    /** Makes the first memory and region. */
    @Setup
    public void setUp() {
        startPages = ("1GiB".equals(memoryBytes) ? 1L << 30 : 1L << 20) / PAGE;
        type = MemoryType.i32(startPages, 65536);
        memory = LinearMemory.create(type);
        allocator = PageAllocator.builder().withViewSharing(ViewSharing.SHARED).build();
        region = allocator.allocate(startPages, 1L << 16);
        region.segment();
    }

    /** Releases them. */
    @TearDown
    public void tearDown() {
        memory.close();
        region.close();
    }

    /**
     * Ours: {@link LinearMemory#grow(long)} by one page.
     *
     * @return the old size, in pages
     */
    @Benchmark
    public long ours() {
        long old = memory.grow(1);
        if (old + 1 == startPages + GROW_STEPS) {
            memory.close();
            memory = LinearMemory.create(type);
        }
        return old;
    }

    /**
     * The floor: the region underneath, grown and its shared view taken again.
     *
     * @return the old size, in pages
     */
    @Benchmark
    public long region() {
        long old = region.grow(1);
        region.segment();
        if (old + 1 == startPages + GROW_STEPS) {
            region.close();
            region = allocator.allocate(startPages, 1L << 16);
            region.segment();
        }
        return old;
    }
}
