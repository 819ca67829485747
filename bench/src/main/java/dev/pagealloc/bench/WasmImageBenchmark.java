package dev.pagealloc.bench;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.pagealloc.wasm.LinearMemory;
import dev.pagealloc.wasm.MemoryImage;
import dev.pagealloc.wasm.MemoryPool;
import dev.pagealloc.wasm.MemoryType;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Instantiating a memory with 16 MiB of data (a 17 MiB minimum), reading one byte of it, and releasing it:
 * the image mapped copy-on-write into a pool slot ({@code poolImage}) or into a memory of its own
 * ({@code createImage}), against copying the 16 MiB into a pool slot ({@code poolCopy}) or into a memory of its
 * own ({@code createCopy}), as runtimes without images do. Sample time, medians in the report.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 3, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 4, time = 500, timeUnit = TimeUnit.MILLISECONDS)
public class WasmImageBenchmark {
    private static final int IMAGE_BYTES = 16 << 20;
    private static final MemoryType TYPE = MemoryType.i32(IMAGE_BYTES / 65536 + 1, 65536);

    private byte[] data;
    private MemoryImage image;
    private MemoryPool pool;

    /** Prepares the image and the pool. */
    @Setup
    public void setUp() {
        data = new byte[IMAGE_BYTES];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31 + 7);
        }
        image = MemoryImage.of(0, data);
        if (!image.isCopyOnWrite()) {
            throw new IllegalStateException("no copy-on-write images here: " + image.mechanism());
        }
        pool = MemoryPool.builder().withSlots(64).withViewBatch(8).build();
    }

    /** Releases them. */
    @TearDown
    public void tearDown() {
        pool.close();
        image.close();
    }

    /** @return a byte of the data */
    @Benchmark
    public byte poolImage() {
        try (LinearMemory memory = pool.acquire(TYPE, image)) {
            return memory.segment().get(JAVA_BYTE, 12345);
        }
    }

    /** @return a byte of the data */
    @Benchmark
    public byte createImage() {
        try (LinearMemory memory = LinearMemory.create(TYPE, image)) {
            return memory.segment().get(JAVA_BYTE, 12345);
        }
    }

    /** @return a byte of the data */
    @Benchmark
    public byte poolCopy() {
        try (LinearMemory memory = pool.acquire(TYPE)) {
            MemorySegment.copy(data, 0, memory.segment(), JAVA_BYTE, 0, IMAGE_BYTES);
            return memory.segment().get(JAVA_BYTE, 12345);
        }
    }

    /** @return a byte of the data */
    @Benchmark
    public byte createCopy() {
        try (LinearMemory memory = LinearMemory.create(TYPE)) {
            MemorySegment.copy(data, 0, memory.segment(), JAVA_BYTE, 0, IMAGE_BYTES);
            return memory.segment().get(JAVA_BYTE, 12345);
        }
    }
}
