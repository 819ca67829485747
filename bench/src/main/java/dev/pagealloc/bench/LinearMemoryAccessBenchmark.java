package dev.pagealloc.bench;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.nio.ByteOrder.LITTLE_ENDIAN;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ByteBufferMemory;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.pagealloc.wasm.IndexType;
import dev.pagealloc.wasm.LinearMemory;
import dev.pagealloc.wasm.MemoryType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
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

/**
 * Host-side loads and stores, as an interpreter makes them: for each of {@value #ACCESSES} addresses
 * taken from an array (sequential, or random over the whole memory), load a little-endian value and
 * store it plus one, through our {@link LinearMemory}, Chicory's {@link ByteArrayMemory} and
 * {@link ByteBufferMemory}, and a raw {@link MemorySegment} loop (the floor). Scores are per access
 * (one load and one store), in ns.
 *
 * <p>Every memory is {@value #MEMORY_PAGES} WebAssembly pages (4 MiB) and is created on a thread of its
 * own, so the benchmark thread is never the creator; ours and raw are shared-arena segments (usable
 * from any thread). Ours is {@link LinearMemory#create}: a
 * pagealloc region with shared views, the production storage. Issue 8's target: ours within 1.05x of raw.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 3, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
public class LinearMemoryAccessBenchmark {
    static final int MEMORY_PAGES = 64;
    static final int ACCESSES = 16_384;
    private static final long MEMORY_BYTES = MEMORY_PAGES * MemoryType.WASM_PAGE_BYTES;
    private static final ValueLayout.OfInt I32 = JAVA_INT_UNALIGNED.withOrder(LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = JAVA_LONG_UNALIGNED.withOrder(LITTLE_ENDIAN);

    /** Where the addresses go: {@code sequential} from 0, or {@code random} over the whole memory. */
    @Param({"sequential", "random"})
    public String pattern;

    private Arena arena;
    private MemorySegment raw;
    private LinearMemory ours;
    private ByteArrayMemory byteArray;
    private ByteBufferMemory byteBuffer;
    private int[] i32Addresses;
    private int[] i64Addresses;

    /**
     * Creates the memories on another thread and picks the addresses (the same for every peer).
     *
     * @throws InterruptedException if interrupted while waiting for the creating thread
     */
    @Setup(Level.Trial)
    public void create() throws InterruptedException {
        Thread creator = new Thread(() -> {
            arena = Arena.ofShared();
            raw = arena.allocate(MEMORY_BYTES, MemoryType.WASM_PAGE_BYTES);
            ours = LinearMemory.create(new MemoryType(IndexType.I32, MemoryType.WASM_PAGE_BYTES,
                    MEMORY_PAGES, MEMORY_PAGES, true));
            MemoryLimits limits = new MemoryLimits(MEMORY_PAGES, MEMORY_PAGES);
            byteArray = new ByteArrayMemory(limits);
            byteBuffer = new ByteBufferMemory(limits);
        }, "memory-creator");
        creator.start();
        creator.join();
        i32Addresses = addresses(Integer.BYTES);
        i64Addresses = addresses(Long.BYTES);
    }

    private int[] addresses(int widthBytes) {
        SplittableRandom random = new SplittableRandom(42);
        int[] addresses = new int[ACCESSES];
        for (int i = 0; i < ACCESSES; i++) {
            addresses[i] = "sequential".equals(pattern) ? i * widthBytes
                    : (int) random.nextLong(MEMORY_BYTES / widthBytes) * widthBytes;
        }
        return addresses;
    }

    /** Releases the memories. */
    @TearDown(Level.Trial)
    public void release() {
        ours.close();
        arena.close();
    }

    /** Raw segment, i32: the floor. */
    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public void rawI32() {
        MemorySegment memory = raw;
        for (int address : i32Addresses) {
            long at = Integer.toUnsignedLong(address);
            memory.set(I32, at, memory.get(I32, at) + 1);
        }
    }

    /** Ours, i32. */
    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public void oursI32() {
        LinearMemory memory = ours;
        for (int address : i32Addresses) {
            long at = Integer.toUnsignedLong(address);
            memory.storeI32(at, memory.loadI32(at) + 1);
        }
    }

    /** Chicory's byte-array memory, i32. */
    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public void byteArrayMemoryI32() {
        ByteArrayMemory memory = byteArray;
        for (int address : i32Addresses) {
            memory.writeI32(address, memory.readInt(address) + 1);
        }
    }

    /** Chicory's byte-buffer memory, i32. */
    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public void byteBufferMemoryI32() {
        ByteBufferMemory memory = byteBuffer;
        for (int address : i32Addresses) {
            memory.writeI32(address, memory.readInt(address) + 1);
        }
    }

    /** Raw segment, i64: the floor. */
    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public void rawI64() {
        MemorySegment memory = raw;
        for (int address : i64Addresses) {
            long at = Integer.toUnsignedLong(address);
            memory.set(I64, at, memory.get(I64, at) + 1);
        }
    }

    /** Ours, i64. */
    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public void oursI64() {
        LinearMemory memory = ours;
        for (int address : i64Addresses) {
            long at = Integer.toUnsignedLong(address);
            memory.storeI64(at, memory.loadI64(at) + 1);
        }
    }

    /** Chicory's byte-array memory, i64. */
    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public void byteArrayMemoryI64() {
        ByteArrayMemory memory = byteArray;
        for (int address : i64Addresses) {
            memory.writeLong(address, memory.readLong(address) + 1);
        }
    }

    /** Chicory's byte-buffer memory, i64. */
    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public void byteBufferMemoryI64() {
        ByteBufferMemory memory = byteBuffer;
        for (int address : i64Addresses) {
            memory.writeLong(address, memory.readLong(address) + 1);
        }
    }
}
