package dev.pagealloc.bench;

import dev.pagealloc.api.Capabilities.WxStrategy;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.ViewSharing;
import dev.pagealloc.jit.bf.BrainfuckCompiler;
import dev.pagealloc.jit.bf.BrainfuckInterpreter;
import dev.pagealloc.jit.bf.BrainfuckProgram;
import dev.pagealloc.jit.bf.CompiledBrainfuck;
import dev.pagealloc.jit.bf.PageAllocatorCodeLoader;
import dev.pagealloc.jit.bf.Tape;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
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
 * The Brainfuck compiler against the interpreter on the longer test program, an ASCII Mandelbrot renderer
 * ({@code mandelbrot.b}, a copy of the {@code jit} module's test program; {@code BrainfuckProgramCopyTest}
 * keeps them equal), side by side in one run: a whole run of the program on a cleared tape, output
 * discarded, by the interpreter over the unoptimized IR (one instruction per command), over the optimized
 * IR, and by the compiled code. Then what compiling costs: parsing with the optimizing passes, generating the
 * machine code, and generating plus loading plus unloading it, by dual mapping and by a protection flip.
 *
 * <p>Iterations of a second, since one interpreted run takes a third of a second and an unoptimized one
 * several: about three minutes in all with the default three forks; {@code -f 1 -wi 2 -i 3} for a short run.
 * The speed-up is {@code runInterpreter / runCompiled}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@Fork(value = 3, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 4, time = 1, timeUnit = TimeUnit.SECONDS)
public class BrainfuckBenchmark {
    /** One add and one output: what a run costs before the program does anything. */
    private static final String TINY = "+.";

    private String source;
    private BrainfuckProgram program;
    private PageAllocator allocator;
    private Tape tape;
    private BrainfuckInterpreter unoptimized;
    private BrainfuckInterpreter interpreter;
    private CompiledBrainfuck compiled;
    private BrainfuckInterpreter tinyInterpreter;
    private CompiledBrainfuck tinyCompiled;
    private PageAllocatorCodeLoader dualMapping;
    private PageAllocatorCodeLoader protectionFlip;

    /**
     * Reads and prepares the program every way.
     *
     * @throws IOException if the program cannot be read
     */
    @Setup
    public void setUp() throws IOException {
        try (InputStream in = BrainfuckBenchmark.class.getResourceAsStream("mandelbrot.b")) {
            if (in == null) {
                throw new IllegalStateException("mandelbrot.b is not on the class path");
            }
            source = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
        program = BrainfuckProgram.parse(source);
        // SHARED: JMH may run the setup and the benchmark on different threads.
        allocator = PageAllocator.builder().withPlatform(Allocators.PLATFORM).withViewSharing(ViewSharing.SHARED)
                .build();
        tape = Tape.allocate(allocator, Tape.DEFAULT_CELLS);
        unoptimized = new BrainfuckInterpreter(BrainfuckProgram.parseUnoptimized(source));
        interpreter = new BrainfuckInterpreter(program);
        dualMapping = new PageAllocatorCodeLoader(allocator, WxStrategy.DUAL_MAPPING);
        protectionFlip = new PageAllocatorCodeLoader(allocator, WxStrategy.PROTECTION_FLIP);
        compiled = BrainfuckCompiler.compile(program, dualMapping);
        BrainfuckProgram tiny = BrainfuckProgram.parse(TINY);
        tinyInterpreter = new BrainfuckInterpreter(tiny);
        tinyCompiled = BrainfuckCompiler.compile(tiny, dualMapping);
    }

    /** Unmaps the code, the loaders' heaps and the tape. */
    @TearDown
    public void tearDown() {
        compiled.close();
        tinyCompiled.close();
        dualMapping.close();
        protectionFlip.close();
        tape.close();
    }

    private static void run(dev.pagealloc.jit.bf.BrainfuckRunner runner, Tape tape) {
        tape.clear();
        try {
            runner.run(tape, InputStream.nullInputStream(), OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The interpreter over one instruction per command: what the optimizing IR saves. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public void runUnoptimizedInterpreter() {
        run(unoptimized, tape);
    }

    /** The interpreter over the optimized IR: the baseline of the compiler's speed-up. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public void runInterpreter() {
        run(interpreter, tape);
    }

    /** The compiled code, including the two upcall stubs each run makes for output and input. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public void runCompiled() {
        run(compiled, tape);
    }

    /** A run of {@value #TINY} interpreted: the floor of a run. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void runTinyInterpreter() {
        run(tinyInterpreter, tape);
    }

    /** A run of {@value #TINY} compiled: two upcall stubs made, one downcall, one upcall. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void runTinyCompiled() {
        run(tinyCompiled, tape);
    }

    /**
     * {@return the parsed program}: tokenizing, bracket matching and the optimizing passes
     */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public BrainfuckProgram compileParse() {
        return BrainfuckProgram.parse(source);
    }

    /** {@return the machine code}: code generation alone, from the parsed program */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public byte[] compileGenerate() {
        return BrainfuckCompiler.generate(program);
    }

    /**
     * {@return the code's size}: generate, install in the dual-mapped loader's code heap (its chunk, a memfd
     * mapped twice, stays mapped between calls), free (the bytes refilled with {@code int3})
     */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long compileAndLoadDualMapping() {
        try (CompiledBrainfuck code = BrainfuckCompiler.compile(program, dualMapping)) {
            return code.codeBytes();
        }
    }

    /**
     * {@return the code's size}: generate, install in pages of its own in the flipping loader's code heap
     * (copy, protect read-execute), free (refilled with {@code int3}, protected inaccessible)
     */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long compileAndLoadProtectionFlip() {
        try (CompiledBrainfuck code = BrainfuckCompiler.compile(program, protectionFlip)) {
            return code.codeBytes();
        }
    }
}
