package dev.pagealloc.bench;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.pagealloc.api.Capabilities.WxStrategy;
import dev.pagealloc.jit.CodeBuffer;
import java.lang.foreign.FunctionDescriptor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A patch-and-run cycle on sealed code: {@code makeWritable()}, write a new {@code mov eax, n; ret},
 * {@code seal()}, call. A protection flip pays two {@code mprotect}s per cycle (and the code cannot run
 * meanwhile); dual mapping pays none.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 3, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 4, time = 500, timeUnit = TimeUnit.MILLISECONDS)
public class JitPatchBenchmark {
    private static final FunctionDescriptor INT = FunctionDescriptor.of(JAVA_INT);
    private CodeBuffer flip;
    private CodeBuffer dual;
    private int n;

    /** Seals one buffer of each strategy. */
    @Setup(Level.Trial)
    public void setUp() {
        flip = JitCode.memory(WxStrategy.PROTECTION_FLIP).allocate(4096).write(0, JitCode.returnInt(0)).seal();
        dual = JitCode.memory(WxStrategy.DUAL_MAPPING).allocate(4096).write(0, JitCode.returnInt(0)).seal();
    }

    /** Frees both. */
    @TearDown(Level.Trial)
    public void tearDown() {
        flip.free();
        dual.free();
    }

    private int patchAndRun(CodeBuffer code) throws Throwable {
        code.makeWritable().write(0, JitCode.returnInt(++n)).seal();
        return (int) code.handle(INT).invokeExact();
    }

    /**
     * {@return the patched value} by a protection flip
     *
     * @throws Throwable never in practice (method handles declare it)
     */
    @Benchmark
    public int protectionFlip() throws Throwable {
        return patchAndRun(flip);
    }

    /**
     * {@return the patched value} by dual mapping
     *
     * @throws Throwable never in practice
     */
    @Benchmark
    public int dualMapping() throws Throwable {
        return patchAndRun(dual);
    }
}
