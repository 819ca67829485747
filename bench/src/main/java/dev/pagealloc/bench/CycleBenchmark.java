package dev.pagealloc.bench;

import static dev.pagealloc.bench.Allocators.SYSTEM_PAGE_BYTES;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import com.sun.jna.Pointer;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.ViewSharing;
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
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * One page's whole life: allocate one page, store a {@code long} into it, deallocate it. Every
 * peer makes the same three system calls ({@code mmap(PROT_NONE)}, {@code mprotect(RW)},
 * {@code munmap}) and takes the same page fault on the store.
 *
 * <p>Ours stores through {@link Region#segment()}, the only way Java code reaches a region, so the
 * cycle includes making the view's confined arena and closing it on deallocate.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 3, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 4, time = 500, timeUnit = TimeUnit.MILLISECONDS)
public class CycleBenchmark {
    private PageAllocator allocator;
    private FfmLibc ffm;
    private long value;

    /**
     * Builds our allocator (confined views, the default) or the raw binding's errno buffer.
     *
     * @param params the running benchmark, which names the peer to prepare
     */
    @Setup
    public void setUp(BenchmarkParams params) {
        switch (Peer.of(params)) {
            case OURS -> allocator = Allocators.systemPages(ViewSharing.CONFINED);
            case RAW_FFM -> ffm = new FfmLibc();
            case JNA -> {
                // JNA binds its natives when JnaLibc is first used, during warm-up.
            }
        }
    }

    /** Frees the raw binding's errno buffer. */
    @TearDown
    public void tearDown() {
        if (ffm != null) {
            ffm.close();
        }
    }

    /** {@return the region's address} after our allocate, store through its view, deallocate */
    @Benchmark
    public long ours() {
        Region region = allocator.allocate(1, 1);
        region.segment().set(JAVA_LONG, 0, value++);
        long address = region.address();
        region.deallocate();
        return address;
    }

    /**
     * {@return the page's address} after the same calls through plain FFM downcall handles
     *
     * @throws Throwable never in practice (downcall handles declare it)
     */
    @Benchmark
    public long rawFfm() throws Throwable {
        long address = ffm.reserve(SYSTEM_PAGE_BYTES);
        ffm.mprotect(address, SYSTEM_PAGE_BYTES, FfmLibc.PROT_READ | FfmLibc.PROT_WRITE);
        FfmLibc.rawView(address, SYSTEM_PAGE_BYTES).set(JAVA_LONG, 0, value++);
        ffm.munmap(address, SYSTEM_PAGE_BYTES);
        return address;
    }

    /** {@return the page's address} after the same calls through JNA, storing through a JNA {@link Pointer} */
    @Benchmark
    public long jna() {
        long address = JnaLibc.reserve(SYSTEM_PAGE_BYTES);
        JnaLibc.protect(address, SYSTEM_PAGE_BYTES, FfmLibc.PROT_READ | FfmLibc.PROT_WRITE);
        new Pointer(address).setLong(0, value++);
        JnaLibc.release(address, SYSTEM_PAGE_BYTES);
        return address;
    }
}
