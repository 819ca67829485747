package dev.pagealloc.bench;

import static dev.pagealloc.bench.Allocators.SYSTEM_PAGE_BYTES;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.ViewSharing;
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
 * What DESIGN.md invariant 1 costs: deallocating a one-page region whose views must be invalidated
 * (one {@link Region#segment()} call made an arena to close), with {@link ViewSharing#CONFINED} and
 * {@link ViewSharing#SHARED} views, against a bare {@code munmap} of a written page, with 0 and 2
 * busy Java threads in the process.
 *
 * <p>Only the deallocation is timed: each page is mapped, written and (for ours) given a view in a
 * per-invocation setup. Per-invocation timing adds two clock reads (tens of ns) to every score,
 * as the C baseline's per-call timing does.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 3, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 4, time = 500, timeUnit = TimeUnit.MILLISECONDS)
public class DeallocateBenchmark {

    /** The busy threads, shared by the whole trial. */
    @State(Scope.Benchmark)
    public static class Background {
        /** How many Java threads spin while deallocations are measured. */
        @Param({"0", "2"})
        public int busyThreads;

        private BusyThreads threads;

        /** Starts the busy threads. */
        @Setup(Level.Trial)
        public void start() {
            threads = new BusyThreads(busyThreads);
        }

        /**
         * Stops the busy threads.
         *
         * @throws InterruptedException if interrupted while waiting for them
         */
        @TearDown(Level.Trial)
        public void stop() throws InterruptedException {
            threads.close();
        }
    }

    /** A fresh one-page region with one view, made by our allocator. */
    public abstract static class OurRegion {
        private PageAllocator allocator;
        Region region;

        abstract ViewSharing viewSharing();

        /** Builds the allocator. */
        @Setup(Level.Trial)
        public void build() {
            allocator = Allocators.systemPages(viewSharing());
        }

        /** Allocates a page, takes a view (its arena is what deallocate must close) and writes. */
        @Setup(Level.Invocation)
        public void allocate() {
            region = allocator.allocate(1, 1);
            region.segment().set(JAVA_LONG, 0, 1);
        }
    }

    /** A region whose views are confined to the benchmark thread. */
    @State(Scope.Thread)
    public static class ConfinedRegion extends OurRegion {
        @Override
        ViewSharing viewSharing() {
            return ViewSharing.CONFINED;
        }
    }

    /** A region whose views any thread may use. */
    @State(Scope.Thread)
    public static class SharedRegion extends OurRegion {
        @Override
        ViewSharing viewSharing() {
            return ViewSharing.SHARED;
        }
    }

    /** A fresh written page mapped with plain FFM calls, to be unmapped by a peer. */
    @State(Scope.Thread)
    public static class Mapping {
        private FfmLibc ffm;
        long address;

        /** Allocates the errno capture buffer. */
        @Setup(Level.Trial)
        public void open() {
            ffm = new FfmLibc();
        }

        /** Frees the errno capture buffer. */
        @TearDown(Level.Trial)
        public void close() {
            ffm.close();
        }

        /**
         * Reserves, commits and writes one page, as our allocate does.
         *
         * @throws Throwable never in practice (downcall handles declare it)
         */
        @Setup(Level.Invocation)
        public void map() throws Throwable {
            address = ffm.reserve(SYSTEM_PAGE_BYTES);
            ffm.mprotect(address, SYSTEM_PAGE_BYTES, FfmLibc.PROT_READ | FfmLibc.PROT_WRITE);
            FfmLibc.rawView(address, SYSTEM_PAGE_BYTES).set(JAVA_LONG, 0, 1);
        }
    }

    /**
     * Deallocates a region with confined views: closes a confined arena, then unmaps.
     *
     * @param background the busy threads
     * @param state the region
     */
    @Benchmark
    public void oursConfined(Background background, ConfinedRegion state) {
        state.region.deallocate();
    }

    /**
     * Deallocates a region with shared views: closes a shared arena (a handshake with every
     * thread), then unmaps.
     *
     * @param background the busy threads
     * @param state the region
     */
    @Benchmark
    public void oursShared(Background background, SharedRegion state) {
        state.region.deallocate();
    }

    /**
     * Unmaps a page through a plain FFM downcall handle.
     *
     * @param background the busy threads
     * @param state the page
     * @throws Throwable never in practice (downcall handles declare it)
     */
    @Benchmark
    public void rawFfm(Background background, Mapping state) throws Throwable {
        state.ffm.munmap(state.address, SYSTEM_PAGE_BYTES);
    }

    /**
     * Unmaps a page through JNA.
     *
     * @param background the busy threads
     * @param state the page
     */
    @Benchmark
    public void jna(Background background, Mapping state) {
        JnaLibc.release(state.address, SYSTEM_PAGE_BYTES);
    }
}
