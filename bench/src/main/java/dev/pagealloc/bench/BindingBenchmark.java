package dev.pagealloc.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The binding's own cost: a call of {@code labs}, a libc function that makes no system call and
 * does almost nothing, so the time is the Java-to-native transition and back. The JIT cannot
 * remove a native call, and the argument is a field it cannot fold.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 3, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 4, time = 500, timeUnit = TimeUnit.MILLISECONDS)
public class BindingBenchmark {
    /** Each thread's errno buffer, found per call as the Linux backend finds its own. */
    private static final ThreadLocal<MemorySegment> CALL_STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(Linker.Option.captureStateLayout()));

    private long value = -42;

    /**
     * {@return {@code labs(value)}} through an FFM downcall handle, as the Linux backend binds
     *
     * @throws Throwable never in practice (downcall handles declare it)
     */
    @Benchmark
    public long ffm() throws Throwable {
        return (long) FfmLibc.LABS.invokeExact(value);
    }

    /**
     * {@return {@code labs(value)}} through a {@code Linker.Option.critical(false)} downcall handle
     *
     * @throws Throwable never in practice (downcall handles declare it)
     */
    @Benchmark
    public long ffmCritical() throws Throwable {
        return (long) FfmLibc.LABS_CRITICAL.invokeExact(value);
    }

    /**
     * {@return {@code labs(value)}} through a downcall handle that captures errno into a per-thread
     * buffer, exactly as every system call of the Linux backend is bound
     *
     * @throws Throwable never in practice (downcall handles declare it)
     */
    @Benchmark
    public long ffmCaptureErrno() throws Throwable {
        return (long) FfmLibc.LABS_CAPTURE_ERRNO.invokeExact(CALL_STATE.get(), value);
    }

    /** {@return {@code labs(value)}} through JNA's direct mapping */
    @Benchmark
    public long jna() {
        return JnaLibc.labs(value);
    }
}
