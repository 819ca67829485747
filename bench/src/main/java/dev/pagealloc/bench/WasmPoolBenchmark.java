package dev.pagealloc.bench;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.ViewSharing;
import dev.pagealloc.wasm.LinearMemory;
import dev.pagealloc.wasm.MemoryPool;
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
 * A memory's whole life, as a host instantiating a module per request lives it: get a one-page 32-bit memory
 * (maximum 4 GiB), write a byte, read it back, release it. Through a {@link MemoryPool} (128 slots of 4 GiB
 * with 2 GiB shared guards; views retired in batches of 16), with and without one page kept resident; through
 * {@link LinearMemory#create} (a memory of its own: its region and its shared views retired by the core's
 * quarantine); and through a bare region with {@link ViewSharing#SHARED} views, the adapter a user would
 * write on the core's API. Sample time, so the report has the median (issue 8's target: 10 us).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 3, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 4, time = 500, timeUnit = TimeUnit.MILLISECONDS)
public class WasmPoolBenchmark {
    private static final MemoryType TYPE = MemoryType.i32(1, 65536);

    /** Bytes the pool keeps resident per slot: {@code 0} or {@code 65536}. */
    @Param({"0", "65536"})
    public long keepResidentBytes;

    private MemoryPool pool;
    private PageAllocator allocator;

    /** Builds the pool and the allocator of the bare-region peer. */
    @Setup
    public void setUp() {
        pool = MemoryPool.builder().withSlots(128).withViewBatch(16).withKeepResidentBytes(keepResidentBytes).build();
        allocator = PageAllocator.builder().withViewSharing(ViewSharing.SHARED).withGuardBytes(64 << 10, 2L << 30)
                .build();
    }

    /** Closes the pool. */
    @TearDown
    public void tearDown() {
        pool.close();
    }

    /**
     * Ours, pooled: acquire, write, read, release.
     *
     * @return the byte read
     */
    @Benchmark
    public byte pool() {
        try (LinearMemory memory = pool.acquire(TYPE)) {
            memory.segment().set(JAVA_BYTE, 100, (byte) 1);
            return memory.segment().get(JAVA_BYTE, 100);
        }
    }

    /**
     * Ours, a memory of its own (4 GiB index space reserved plus guards).
     *
     * @return the byte read
     */
    @Benchmark
    public byte create() {
        try (LinearMemory memory = LinearMemory.create(TYPE)) {
            memory.segment().set(JAVA_BYTE, 100, (byte) 1);
            return memory.segment().get(JAVA_BYTE, 100);
        }
    }

    /**
     * The adapter on the core's API: a region reserving 4 GiB plus guards, its shared view, deallocated.
     *
     * @return the byte read
     */
    @Benchmark
    public byte region() {
        try (Region region = allocator.allocate(1, 65536)) {
            region.segment().set(JAVA_BYTE, 100, (byte) 1);
            return region.segment().get(JAVA_BYTE, 100);
        }
    }
}
