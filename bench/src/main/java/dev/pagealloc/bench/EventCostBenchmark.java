package dev.pagealloc.bench;

import dev.pagealloc.api.Protection;
import dev.pagealloc.internal.observe.ProtectEvent;
import dev.pagealloc.internal.observe.RegionEvents;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Recording;
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
 * What a region operation's Flight Recorder hooks cost: {@code uninstrumented} does an operation's
 * bookkeeping stand-in alone, {@code instrumented} the same between the {@code begin} and commit hooks a
 * {@code protect} runs. With {@code recording=none} no recording exists (the common case: the hooks must
 * cost nothing, and allocate nothing; run with {@code -prof gc} to see {@code gc.alloc.rate.norm});
 * {@code disabled} has a recording that disables {@code dev.pagealloc.Protect}; {@code enabled} records
 * it as a recording without settings does (no stack trace, the event's default); {@code stackTrace}
 * records it with its stack trace.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
public class EventCostBenchmark {
    /** Whether a recording exists, and whether it enables {@code dev.pagealloc.Protect}. */
    @Param({"none", "disabled", "enabled", "stackTrace"})
    public String recording;

    private Recording jfr;
    private long address = 0x7f00_0000_0000L;
    private long sum;

    /** Starts the recording the parameter asks for. */
    @Setup
    public void setUp() {
        if (recording.equals("none")) {
            return;
        }
        jfr = new Recording();
        switch (recording) {
            case "disabled" -> jfr.disable("dev.pagealloc.Protect");
            case "enabled" -> jfr.enable("dev.pagealloc.Protect");
            default -> jfr.enable("dev.pagealloc.Protect").withStackTrace();
        }
        jfr.start();
    }

    /** Stops the recording, if any. */
    @TearDown
    public void tearDown() {
        if (jfr != null) {
            jfr.close();
        }
    }

    /** A stand-in for an operation's own work, small so that the hooks' cost shows. */
    private long work() {
        address += 4096;
        sum += address >>> 12;
        return sum;
    }

    /** {@return the operation's stand-in without hooks} */
    @Benchmark
    public long uninstrumented() {
        return work();
    }

    /** {@return the operation's stand-in between a protect's two hooks} */
    @Benchmark
    public long instrumented() {
        ProtectEvent event = RegionEvents.beginProtect();
        long result = work();
        RegionEvents.protectedRange(event, "linux", address, 0, 4096, Protection.READ);
        return result;
    }
}
