package dev.pagealloc.bench;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.pagealloc.chicory.ActiveData;
import dev.pagealloc.chicory.PageallocMemoryFactory;
import dev.pagealloc.wasm.MemoryImage;
import dev.pagealloc.wasm.MemoryPool;
import java.io.ByteArrayOutputStream;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
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
 * Instantiating a module whose memory (256 pages) starts with a 16 MiB active data segment, then releasing
 * it, the module parsed once (as a host that instantiates it many times does): Chicory's default memory
 * ({@code ByteBufferMemory}, no factory given), its {@code ByteArrayMemory}, pagealloc's memory of its own,
 * which copies the segment in as Chicory's memories do, and ({@code poolImage}) a slot of a {@link MemoryPool}
 * whose data is a copy-on-write {@link MemoryImage} prepared once, so Chicory's copy of the segment is skipped
 * ({@link PageallocMemoryFactory#preloaded}).
 *
 * <p>{@link WasmImageBenchmark#poolImage()} times that memory alone, without Chicory (acquire a slot holding
 * the image, release it): the floor of {@code poolImage}'s instantiation.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 3, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class ChicoryInstantiationBenchmark {

    /** Bytes of the data segment: 16 MiB. */
    static final int DATA_BYTES = 16 << 20;

    /** The memory: {@code chicoryDefault}, {@code bytearray}, {@code pagealloc} or {@code poolImage}. */
    @Param({"chicoryDefault", "bytearray", "pagealloc", "poolImage"})
    public String memory;

    private WasmModule module;
    private MemoryImage image;
    private MemoryPool pool;

    /** Parses the module once, and prepares the image and the pool: none of that is what is measured. */
    @Setup(Level.Trial)
    public void setUp() {
        module = Parser.parse(moduleWithData(DATA_BYTES));
        image = ActiveData.imageOf(module).orElseThrow();
        // As WasmImageBenchmark's pool: generations of 8 memories, so one arena close (a handshake with every
        // thread) serves 8 releases. Slots of 32 MiB, twice the module's minimum.
        pool = MemoryPool.builder().withSlots(64).withViewBatch(8).withSlotBytes(32L << 20).build();
    }

    /** Releases the pool and the image. */
    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        image.close();
    }

    /**
     * Instantiates the module and releases its memory.
     *
     * @return a byte of the data, so that the JIT keeps the work
     */
    @Benchmark
    public byte instantiate() {
        try (PageallocMemoryFactory ours = memory.equals("poolImage")
                ? PageallocMemoryFactory.preloaded(type -> pool.acquire(type, image))
                : PageallocMemoryFactory.create()) {
            Instance.Builder builder = Instance.builder(module);
            if (!memory.equals("chicoryDefault")) {
                builder.withMemoryFactory(memory.equals("poolImage") ? ours
                        : ChicoryProgramBenchmark.factory(memory, ours));
            }
            Memory m = builder.build().memory();
            return m.read(DATA_BYTES - 1);
        }
    }

    /**
     * {@return a module with a memory of {@code 256} pages and one active data segment of {@code bytes}
     * bytes at address 0}, written directly in the binary format (sections 5 and 11; WebAssembly core
     * specification 5.5.8 and 5.5.14)
     *
     * @param bytes the data's size, at most 16 MiB
     */
    static byte[] moduleWithData(int bytes) {
        ByteArrayOutputStream wasm = new ByteArrayOutputStream();
        wasm.writeBytes(new byte[] {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00});
        // memory section: one memory, limits flag 0 (no maximum), minimum 256 pages
        section(wasm, 5, new byte[] {0x01, 0x00, (byte) 0x80, 0x02});
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        data.write(0x01);                                   // one segment
        data.writeBytes(new byte[] {0x00, 0x41, 0x00, 0x0B}); // active, memory 0, offset i32.const 0; end
        leb(data, bytes);
        for (int i = 0; i < bytes; i++) {
            data.write((i * 31) ^ (i >>> 9));
        }
        section(wasm, 11, data.toByteArray());
        return wasm.toByteArray();
    }

    private static void section(ByteArrayOutputStream out, int id, byte[] content) {
        out.write(id);
        leb(out, content.length);
        out.writeBytes(content);
    }

    private static void leb(ByteArrayOutputStream out, int value) {
        int v = value;
        do {
            int b = v & 0x7F;
            v >>>= 7;
            out.write(v == 0 ? b : b | 0x80);
        } while (v != 0);
    }
}
