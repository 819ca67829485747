package dev.pagealloc.bench;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ByteBufferMemory;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.pagealloc.chicory.PageallocMemoryFactory;
import dev.pagealloc.chicory.programs.SampleProgram;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
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
 * Real WebAssembly programs ({@link SampleProgram}: a sieve, a hash over a MiB, a heapsort) under Chicory's
 * compiler, on pagealloc's memory ({@code PageallocMemory}) and on Chicory's own {@code ByteArrayMemory} and
 * {@code ByteBufferMemory}: the same instance and call each time, so the memory's accessors are what differs.
 * The memory has grown to the program's size before measuring (a first call in the setup).
 *
 * <p>Five forks: one program's time varied twice over between two JVMs (what the JIT makes of Chicory's
 * generated classes differs per JVM), so a ratio needs several.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 5, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class ChicoryProgramBenchmark {

    /** The program. */
    @Param({"sieve", "hash", "sort"})
    public String program;

    /** The memory: {@code pagealloc}, {@code bytearray} or {@code bytebuffer}. */
    @Param({"pagealloc", "bytearray", "bytebuffer"})
    public String memory;

    private PageallocMemoryFactory ours;
    private ExportFunction function;
    private int argument;

    /** Builds the compiled instance and runs the program once, so the memory has its final size. */
    @Setup(Level.Trial)
    public void setUp() {
        ours = PageallocMemoryFactory.create();
        SampleProgram sample = SampleProgram.valueOf(program.toUpperCase(java.util.Locale.ROOT));
        argument = switch (sample) {
            case SIEVE -> 1_000_000;
            case HASH -> 1;
            case SORT -> 20_000;
            default -> throw new IllegalArgumentException(program);
        };
        Instance instance = Instance.builder(Parser.parse(sample.wasm()))
                .withMemoryFactory(factory(memory, ours))
                .withMachineFactory(MachineFactoryCompiler::compile)
                .build();
        function = instance.export(sample.export());
        function.apply(argument);
    }

    static Function<MemoryLimits, Memory> factory(String memory, PageallocMemoryFactory ours) {
        return switch (memory) {
            case "pagealloc" -> ours;
            case "bytearray" -> ByteArrayMemory::new;
            case "bytebuffer" -> ByteBufferMemory::new;
            default -> throw new IllegalArgumentException("memory " + memory);
        };
    }

    /** Releases our memories. */
    @TearDown(Level.Trial)
    public void tearDown() {
        ours.close();
    }

    /**
     * One run of the program.
     *
     * @return its result, so that the JIT keeps the call
     */
    @Benchmark
    public long run() {
        return function.apply(argument)[0];
    }
}
