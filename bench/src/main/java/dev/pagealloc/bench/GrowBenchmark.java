package dev.pagealloc.bench;

import static dev.pagealloc.bench.Allocators.SYSTEM_PAGE_BYTES;

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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * Grow by one page: commit the next page of a reservation in place ({@code mprotect(RW)} of one
 * page). Each region starts {@value #GROW_STEPS} pages short of its maximum and grows to it one
 * page per operation; a full region is deallocated and a fresh one reserved inside the measured
 * operation, so every peer pays that once per {@value #GROW_STEPS} grows (the C baseline does the
 * same). A 1 GiB region thus grows through its last MiB: its grows should cost what a 1 MiB
 * region's do, since nothing is copied and nothing depends on the size.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 3, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 4, time = 500, timeUnit = TimeUnit.MILLISECONDS)
public class GrowBenchmark {
    /** Grows per region before it is replaced. */
    static final int GROW_STEPS = 256;
    private static final int READ_WRITE = FfmLibc.PROT_READ | FfmLibc.PROT_WRITE;

    /** The region's reserved size: {@code 1MiB} or {@code 1GiB}. */
    @Param({"1MiB", "1GiB"})
    public String regionBytes;

    private long maximumPages;
    private long startPages;
    private long maximumBytes;
    private long startBytes;

    private PageAllocator allocator;
    private Region region;
    private FfmLibc ffm;
    private long rawAddress;
    private long rawCommittedBytes;
    private long jnaAddress;
    private long jnaCommittedBytes;

    /**
     * Reserves a region for the peer measured, {@value #GROW_STEPS} pages short of full.
     *
     * @param params the running benchmark, which names the peer to prepare
     * @throws Throwable never in practice (downcall handles declare it)
     */
    @Setup
    public void setUp(BenchmarkParams params) throws Throwable {
        maximumBytes = switch (regionBytes) {
            case "1MiB" -> 1L << 20;
            case "1GiB" -> 1L << 30;
            default -> throw new IllegalArgumentException("regionBytes=" + regionBytes + ": expected 1MiB or 1GiB");
        };
        maximumPages = maximumBytes / SYSTEM_PAGE_BYTES;
        startPages = maximumPages - GROW_STEPS;
        startBytes = startPages * SYSTEM_PAGE_BYTES;
        switch (Peer.of(params)) {
            case OURS -> {
                allocator = Allocators.systemPages(ViewSharing.CONFINED);
                region = allocator.allocate(startPages, maximumPages);
            }
            case RAW_FFM -> {
                ffm = new FfmLibc();
                rawAddress = rawReserve();
            }
            case JNA -> jnaAddress = jnaReserve();
        }
    }

    /**
     * Releases the measured peer's region.
     *
     * @throws Throwable never in practice (downcall handles declare it)
     */
    @TearDown
    public void tearDown() throws Throwable {
        Allocators.release(region, ffm, rawAddress, jnaAddress, maximumBytes);
    }

    /** {@return the size before the grow, in pages} through our {@link Region#grow(long)} */
    @Benchmark
    public long ours() {
        Region r = region;
        if (r.pages() == maximumPages) {
            r.deallocate();
            r = allocator.allocate(startPages, maximumPages);
            region = r;
        }
        return r.grow(1);
    }

    /**
     * {@return the committed size after the grow, in bytes} through plain FFM downcall handles
     *
     * @throws Throwable never in practice (downcall handles declare it)
     */
    @Benchmark
    public long rawFfm() throws Throwable {
        if (rawCommittedBytes == maximumBytes) {
            ffm.munmap(rawAddress, maximumBytes);
            rawAddress = rawReserve();
        }
        ffm.mprotect(rawAddress + rawCommittedBytes, SYSTEM_PAGE_BYTES, READ_WRITE);
        rawCommittedBytes += SYSTEM_PAGE_BYTES;
        return rawCommittedBytes;
    }

    /** {@return the committed size after the grow, in bytes} through JNA */
    @Benchmark
    public long jna() {
        if (jnaCommittedBytes == maximumBytes) {
            JnaLibc.release(jnaAddress, maximumBytes);
            jnaAddress = jnaReserve();
        }
        JnaLibc.protect(jnaAddress + jnaCommittedBytes, SYSTEM_PAGE_BYTES, READ_WRITE);
        jnaCommittedBytes += SYSTEM_PAGE_BYTES;
        return jnaCommittedBytes;
    }

    private long rawReserve() throws Throwable {
        long address = ffm.reserve(maximumBytes);
        if (startBytes > 0) {
            ffm.mprotect(address, startBytes, READ_WRITE);
        }
        rawCommittedBytes = startBytes;
        return address;
    }

    private long jnaReserve() {
        long address = JnaLibc.reserve(maximumBytes);
        if (startBytes > 0) {
            JnaLibc.protect(address, startBytes, READ_WRITE);
        }
        jnaCommittedBytes = startBytes;
        return address;
    }
}
