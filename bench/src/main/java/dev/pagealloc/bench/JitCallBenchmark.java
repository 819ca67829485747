package dev.pagealloc.bench;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.pagealloc.api.Capabilities.WxStrategy;
import dev.pagealloc.jit.CodeBuffer;
import dev.pagealloc.jit.JitMemory;
import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.CompilerControl;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of a call into generated code ({@code lea rax, [rdi + rsi]; ret}, {@code (long,long)long})
 * against a plain Java static call that is not inlined, and a downcall into libc ({@code labs}): the
 * handle in a {@code static final} (which the JIT compiler treats as a constant), plain and
 * {@code critical(false)}, and in an instance field (not a constant).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 3, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 4, time = 500, timeUnit = TimeUnit.MILLISECONDS)
public class JitCallBenchmark {
    private static final FunctionDescriptor ADD = FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG);
    private static final JitMemory JIT = JitCode.memory(WxStrategy.DUAL_MAPPING);
    private static final CodeBuffer CODE = JIT.install(JitCode.ADD_LONGS);
    private static final MethodHandle GENERATED = CODE.handle(ADD);
    private static final MethodHandle GENERATED_CRITICAL = CODE.criticalHandle(ADD);

    private final MethodHandle generatedField = CODE.handle(ADD);
    private long a = 40;
    private long b = 2;

    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    private static long add(long x, long y) {
        return x + y;
    }

    /** {@return a + b} through a Java static call that is not inlined */
    @Benchmark
    public long javaStatic() {
        return add(a, b);
    }

    /**
     * {@return a + b} in generated code, through a {@code static final} handle
     *
     * @throws Throwable never in practice (method handles declare it)
     */
    @Benchmark
    public long generated() throws Throwable {
        return (long) GENERATED.invokeExact(a, b);
    }

    /**
     * {@return a + b} in generated code, through a {@code static final} critical handle
     *
     * @throws Throwable never in practice
     */
    @Benchmark
    public long generatedCritical() throws Throwable {
        return (long) GENERATED_CRITICAL.invokeExact(a, b);
    }

    /**
     * {@return a + b} in generated code, through a handle in a field (not a JIT-compiler constant)
     *
     * @throws Throwable never in practice
     */
    @Benchmark
    public long generatedFromField() throws Throwable {
        return (long) generatedField.invokeExact(a, b);
    }

    /**
     * {@return labs(-a)} through a {@code static final} downcall handle into libc
     *
     * @throws Throwable never in practice
     */
    @Benchmark
    public long libcLabs() throws Throwable {
        return (long) FfmLibc.LABS.invokeExact(-a);
    }

    /**
     * {@return labs(-a)} through a {@code static final} critical downcall handle into libc
     *
     * @throws Throwable never in practice
     */
    @Benchmark
    public long libcLabsCritical() throws Throwable {
        return (long) FfmLibc.LABS_CRITICAL.invokeExact(-a);
    }
}
