package dev.pagealloc.bench;

import dev.pagealloc.api.MemoryPartition;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PageAllocatorBuilder;
import dev.pagealloc.api.Region;
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

/**
 * What a partition adds to a commit: one page decommitted and recommitted (a refund and a charge, each
 * around its system calls) in a region outside any partition, in a root partition, and in a tenant two
 * levels down (the charge checked and applied at three levels under the tree's lock). Peers side by side in
 * one run; read the ratios to {@code none}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 3, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
public class PartitionChargeBenchmark {
    private static final long PAGE = 4096;

    /** Where the region's allocator charges: {@code none}, {@code root} or {@code nested} (three levels). */
    @Param({"none", "root", "nested"})
    public String partition;

    private Region region;
    private MemoryPartition charged;

    /** Builds the partitions and a region of 16 pages. */
    @Setup
    public void setUp() {
        PageAllocatorBuilder builder = PageAllocator.builder().withPageBytes(PAGE);
        if (!"none".equals(partition)) {
            MemoryPartition root = MemoryPartition.builder("host").maximumBytes(1L << 30).build();
            charged = "root".equals(partition) ? root
                    : root.child("group").maximumBytes(1L << 29).build().child("tenant").maximumBytes(1L << 28).build();
            builder.withPartition(charged);
        }
        region = builder.build().allocate(16, 16);
    }

    /** Deallocates the region. */
    @TearDown
    public void tearDown() {
        region.deallocate();
    }

    /**
     * Decommits and recommits one page.
     *
     * @return the committed bytes, so the work is not dead
     */
    @Benchmark
    public long decommitRecommit() {
        region.decommit(0, PAGE);
        region.recommit(0, PAGE);
        return region.committedBytes();
    }
}
