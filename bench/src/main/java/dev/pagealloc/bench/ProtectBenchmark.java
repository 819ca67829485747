package dev.pagealloc.bench;

import static dev.pagealloc.bench.Allocators.SYSTEM_PAGE_BYTES;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import com.sun.jna.Pointer;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.ViewSharing;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * A protection flip: one {@code mprotect} of one written page, alternating read-only and
 * read-write (the JIT's write-then-seal step). Scores are per flip; each invocation makes two.
 *
 * <p>Ours takes no view between flips, so the flip to read-only finds no arena to close: this is
 * the cost of the operation itself, not of invalidating views (see {@link DeallocateBenchmark}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 3, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 4, time = 500, timeUnit = TimeUnit.MILLISECONDS)
public class ProtectBenchmark {
    private static final int READ_WRITE = FfmLibc.PROT_READ | FfmLibc.PROT_WRITE;

    private PageAllocator allocator;
    private Region region;
    private FfmLibc ffm;
    private long rawAddress;
    private long jnaAddress;

    /**
     * Maps one read-write page for the peer measured and writes to it, so that every flip changes
     * a present page.
     *
     * @param params the running benchmark, which names the peer to prepare
     * @throws Throwable never in practice (downcall handles declare it)
     */
    @Setup
    public void setUp(BenchmarkParams params) throws Throwable {
        switch (Peer.of(params)) {
            case OURS -> {
                allocator = Allocators.systemPages(ViewSharing.CONFINED);
                region = allocator.allocate(1, 1);
                region.segment().set(JAVA_LONG, 0, 1);
            }
            case RAW_FFM -> {
                ffm = new FfmLibc();
                rawAddress = ffm.mapWrittenPage(1);
            }
            case JNA -> {
                jnaAddress = JnaLibc.reserve(SYSTEM_PAGE_BYTES);
                JnaLibc.protect(jnaAddress, SYSTEM_PAGE_BYTES, READ_WRITE);
                new Pointer(jnaAddress).setLong(0, 1);
            }
        }
    }

    /**
     * Releases the measured peer's page.
     *
     * @throws Throwable never in practice (downcall handles declare it)
     */
    @TearDown
    public void tearDown() throws Throwable {
        Allocators.release(region, ffm, rawAddress, jnaAddress, SYSTEM_PAGE_BYTES);
    }

    /** Flips through our {@link Region#protect(long, long, Protection)}. */
    @Benchmark
    @OperationsPerInvocation(2)
    public void ours() {
        region.protect(0, SYSTEM_PAGE_BYTES, Protection.READ);
        region.protect(0, SYSTEM_PAGE_BYTES, Protection.READ_WRITE);
    }

    /**
     * Flips through a plain FFM downcall handle.
     *
     * @throws Throwable never in practice (downcall handles declare it)
     */
    @Benchmark
    @OperationsPerInvocation(2)
    public void rawFfm() throws Throwable {
        ffm.mprotect(rawAddress, SYSTEM_PAGE_BYTES, FfmLibc.PROT_READ);
        ffm.mprotect(rawAddress, SYSTEM_PAGE_BYTES, READ_WRITE);
    }

    /** Flips through JNA. */
    @Benchmark
    @OperationsPerInvocation(2)
    public void jna() {
        JnaLibc.protect(jnaAddress, SYSTEM_PAGE_BYTES, FfmLibc.PROT_READ);
        JnaLibc.protect(jnaAddress, SYSTEM_PAGE_BYTES, READ_WRITE);
    }
}
