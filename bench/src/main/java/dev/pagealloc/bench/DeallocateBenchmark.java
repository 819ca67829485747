package dev.pagealloc.bench;

import static dev.pagealloc.bench.Allocators.SYSTEM_PAGE_BYTES;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.ViewQuarantine;
import dev.pagealloc.api.ViewSharing;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What DESIGN.md invariant 1 costs: deallocating a one-page region whose views must be invalidated
 * (one {@link Region#segment()} call made an arena to close), with {@link ViewSharing#CONFINED} views,
 * {@link ViewSharing#SHARED} views retired in batches ({@link ViewQuarantine#DEFAULT}) and shared views
 * closed at once ({@link ViewQuarantine#NONE}), against a bare {@code munmap} of a written page, with
 * 0 and 2 busy Java threads in the process; and {@value #BURST} shared regions, all alive at once,
 * deallocated in a burst, against {@value #BURST} bare {@code munmap}s (scores per region).
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
    /** Regions deallocated, or pages unmapped, in one burst. */
    static final int BURST = 64;

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
            System.out.println(threads.report()); // shown in the JMH log, beside the trial's score
        }
    }

    /** A fresh one-page region with one view, made by our allocator. */
    public abstract static class OurRegion {
        private PageAllocator allocator;
        Region region;

        abstract ViewSharing viewSharing();

        ViewQuarantine viewQuarantine() {
            return ViewQuarantine.DEFAULT;
        }

        /** Builds the allocator. */
        @Setup(Level.Trial)
        public void build() {
            allocator = Allocators.systemPages(viewSharing(), viewQuarantine());
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

    /** A region whose views any thread may use, closed at every deallocation (no quarantine). */
    @State(Scope.Thread)
    public static class SharedRegionClosedAtOnce extends OurRegion {
        @Override
        ViewSharing viewSharing() {
            return ViewSharing.SHARED;
        }

        @Override
        ViewQuarantine viewQuarantine() {
            return ViewQuarantine.NONE;
        }
    }

    /** {@value #BURST} fresh one-page shared regions, each with a written view, all alive at once. */
    @State(Scope.Thread)
    public static class SharedBurst {
        private PageAllocator allocator;
        final Region[] regions = new Region[BURST];

        /** Builds the allocator. */
        @Setup(Level.Trial)
        public void build() {
            allocator = Allocators.systemPages(ViewSharing.SHARED);
        }

        /** Allocates the regions, gives each a view and writes. */
        @Setup(Level.Invocation)
        public void allocate() {
            for (int i = 0; i < BURST; i++) {
                regions[i] = allocator.allocate(1, 1);
                regions[i].segment().set(JAVA_LONG, 0, i);
            }
        }
    }

    /** {@value #BURST} fresh written pages mapped with plain FFM calls. */
    @State(Scope.Thread)
    public static class MappingBurst {
        private FfmLibc ffm;
        final long[] addresses = new long[BURST];

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
         * Reserves, commits and writes the pages.
         *
         * @throws Throwable never in practice (downcall handles declare it)
         */
        @Setup(Level.Invocation)
        public void map() throws Throwable {
            for (int i = 0; i < BURST; i++) {
                addresses[i] = ffm.mapWrittenPage(i);
            }
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
            address = ffm.mapWrittenPage(1);
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
     * Deallocates a region with shared views retired in batches: discards the page and quarantines
     * the region; every 64th deallocation closes the batch's shared arena (one handshake with every
     * thread) and unmaps the 64 regions.
     *
     * @param background the busy threads
     * @param state the region
     */
    @Benchmark
    public void oursShared(Background background, SharedRegion state) {
        state.region.deallocate();
    }

    /**
     * Deallocates a region with shared views and no quarantine: closes a shared arena (a handshake
     * with every thread), then unmaps.
     *
     * @param background the busy threads
     * @param state the region
     */
    @Benchmark
    public void oursSharedClosedAtOnce(Background background, SharedRegionClosedAtOnce state) {
        state.region.deallocate();
    }

    /**
     * Deallocates {@value #BURST} live shared regions in a row; scored per region.
     *
     * @param background the busy threads
     * @param state the regions
     */
    @Benchmark
    @OperationsPerInvocation(BURST)
    public void oursSharedBurst(Background background, SharedBurst state) {
        for (Region region : state.regions) {
            region.deallocate();
        }
    }

    /**
     * Unmaps {@value #BURST} pages in a row through a plain FFM downcall handle; scored per page.
     *
     * @param background the busy threads
     * @param state the pages
     * @throws Throwable never in practice (downcall handles declare it)
     */
    @Benchmark
    @OperationsPerInvocation(BURST)
    public void rawFfmBurst(Background background, MappingBurst state) throws Throwable {
        for (long address : state.addresses) {
            state.ffm.munmap(address, SYSTEM_PAGE_BYTES);
        }
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
