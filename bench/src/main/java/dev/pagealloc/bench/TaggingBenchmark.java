package dev.pagealloc.bench;

import dev.pagealloc.api.MemoryTagging;
import dev.pagealloc.api.MemoryTagging.TagCheckMode;
import dev.pagealloc.api.MemoryTagging.TaggingPolicy;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.ViewSharing;
import dev.pagealloc.tagging.TaggedLinearMemory;
import dev.pagealloc.tagging.TaggedRegion;
import dev.pagealloc.wasm.IndexType;
import dev.pagealloc.wasm.LinearMemory;
import dev.pagealloc.wasm.MemoryType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
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
 * The cost of software tag checking on linear-memory loads (issue 13's target: checked within 2x of
 * unchecked). One {@value #MEMORY_PAGES}-page (4 MiB) memory is cut into {@value #BLOCK_BYTES}-byte guest
 * allocations, each tagged ({@link TaggedLinearMemory#allocate}); {@value #ACCESSES} i32 addresses
 * (sequential, or random over the memory) are read through the memory itself ({@code unchecked*}) and through
 * the tagged view with each address's tagged pointer ({@code tagged*}: a shift, a shadow-byte load and a
 * compare before the memory's own bounds-checked load). {@code taggedUpdateI32} is the load and store pair with
 * one check ({@link TaggedLinearMemory#updateI32}). The block peers read whole allocations, 16 i32 each, of
 * {@value #ACCESSES} / 16 blocks (the first ones, or random ones): {@code uncheckedBlockLoadI32} through the memory,
 * {@code taggedViewLoadI32} through a {@link TaggedLinearMemory.CheckedView} made per block (one tag check per
 * block). {@code regionViewLoadI32} and {@code taggedRegionLoadI32} are the same loads on a software-tagged
 * {@link Region} of the same size: through its view, and through a {@link TaggedRegion} with tagged pointers.
 * Scores are per access, in ns; the peers run side by side in one run, so compare them as ratios.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 3, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
public class TaggingBenchmark {
    static final int MEMORY_PAGES = 64;
    static final int ACCESSES = 16_384;
    static final int BLOCK_BYTES = 64;
    static final int INTS_PER_BLOCK = BLOCK_BYTES / Integer.BYTES;
    private static final long MEMORY_BYTES = MEMORY_PAGES * MemoryType.WASM_PAGE_BYTES;

    /** Where the addresses go: {@code sequential} from 0, or {@code random} over the whole memory. */
    @Param({"sequential", "random"})
    public String pattern;

    private LinearMemory memory;
    private TaggedLinearMemory tagged;
    private long[] addresses;
    private long[] pointers;
    private long[] blockAddresses;
    private long[] blockPointers;
    private Region region;
    private TaggedRegion taggedRegion;
    private MemorySegment regionView;
    private long[] regionPointers;

    /** Creates the memory, tags every block, and picks the addresses and their tagged pointers. */
    @Setup(Level.Trial)
    public void create() {
        memory = LinearMemory.create(new MemoryType(IndexType.I32, MemoryType.WASM_PAGE_BYTES, MEMORY_PAGES,
                MEMORY_PAGES, true));
        tagged = TaggedLinearMemory.of(memory, MemoryTagging.of(TaggingPolicy.SOFTWARE, TagCheckMode.SYNC));
        for (long block = 0; block < MEMORY_BYTES; block += BLOCK_BYTES) {
            tagged.allocate(block, BLOCK_BYTES);
        }
        SplittableRandom random = new SplittableRandom(42);
        addresses = new long[ACCESSES];
        pointers = new long[ACCESSES];
        for (int i = 0; i < ACCESSES; i++) {
            addresses[i] = "sequential".equals(pattern) ? i * 4L : random.nextLong(MEMORY_BYTES / 4) * 4;
            pointers[i] = tagged.tags().pointer(addresses[i]);
        }
        blockAddresses = new long[ACCESSES / INTS_PER_BLOCK];
        blockPointers = new long[blockAddresses.length];
        for (int i = 0; i < blockAddresses.length; i++) {
            blockAddresses[i] = "sequential".equals(pattern) ? (long) i * BLOCK_BYTES
                    : random.nextLong(MEMORY_BYTES / BLOCK_BYTES) * BLOCK_BYTES;
            blockPointers[i] = tagged.tags().pointer(blockAddresses[i]);
        }
        region = PageAllocator.builder().withViewSharing(ViewSharing.SHARED)
                .withMemoryTagging(TaggingPolicy.SOFTWARE, TagCheckMode.SYNC).build()
                .allocate(MEMORY_PAGES, MEMORY_PAGES);
        taggedRegion = TaggedRegion.of(region);
        for (long block = 0; block < MEMORY_BYTES; block += BLOCK_BYTES) {
            taggedRegion.tags().tagNew(block, BLOCK_BYTES);
        }
        regionView = region.segment();
        regionPointers = new long[ACCESSES];
        for (int i = 0; i < ACCESSES; i++) {
            regionPointers[i] = taggedRegion.tags().pointer(addresses[i]);
        }
    }

    /** Releases the memory and the shadow. */
    @TearDown(Level.Trial)
    public void release() {
        tagged.close();
        memory.close();
        taggedRegion.close();
        region.deallocate();
    }

    /**
     * Unchecked i32 loads: the floor.
     *
     * @return the sum, so the loads are not dead code
     */
    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public int uncheckedLoadI32() {
        LinearMemory m = memory;
        int sum = 0;
        for (long address : addresses) {
            sum += m.loadI32(address);
        }
        return sum;
    }

    /**
     * Tag-checked i32 loads.
     *
     * @return the sum, so the loads are not dead code
     */
    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public int taggedLoadI32() {
        TaggedLinearMemory m = tagged;
        int sum = 0;
        for (long pointer : pointers) {
            sum += m.loadI32(pointer);
        }
        return sum;
    }

    /** Unchecked i32 load and store of the value plus one. */
    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public void uncheckedIncrementI32() {
        LinearMemory m = memory;
        for (long address : addresses) {
            m.storeI32(address, m.loadI32(address) + 1);
        }
    }

    /** Tag-checked i32 load and store of the value plus one. */
    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public void taggedIncrementI32() {
        TaggedLinearMemory m = tagged;
        for (long pointer : pointers) {
            m.storeI32(pointer, m.loadI32(pointer) + 1);
        }
    }

    /** Tag-checked i32 load and store of the value plus one, one check for the pair. */
    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public void taggedUpdateI32() {
        TaggedLinearMemory m = tagged;
        for (long pointer : pointers) {
            m.updateI32(pointer, v -> v + 1);
        }
    }

    /**
     * Unchecked i32 loads of whole blocks: the floor for the view.
     *
     * @return the sum, so the loads are not dead code
     */
    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public int uncheckedBlockLoadI32() {
        LinearMemory m = memory;
        int sum = 0;
        for (long block : blockAddresses) {
            for (int i = 0; i < BLOCK_BYTES; i += Integer.BYTES) {
                sum += m.loadI32(block + i);
            }
        }
        return sum;
    }

    /**
     * i32 loads of whole blocks through a checked view made per block.
     *
     * @return the sum, so the loads are not dead code
     */
    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public int taggedViewLoadI32() {
        TaggedLinearMemory m = tagged;
        int sum = 0;
        for (long pointer : blockPointers) {
            TaggedLinearMemory.CheckedView view = m.view(pointer, BLOCK_BYTES);
            for (int i = 0; i < BLOCK_BYTES; i += Integer.BYTES) {
                sum += view.loadI32(i);
            }
        }
        return sum;
    }

    /**
     * i32 loads through a tagged region's view: the floor for {@link TaggedRegion}.
     *
     * @return the sum, so the loads are not dead code
     */
    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public int regionViewLoadI32() {
        MemorySegment view = regionView;
        int sum = 0;
        for (long address : addresses) {
            sum += view.get(ValueLayout.JAVA_INT_UNALIGNED, address);
        }
        return sum;
    }

    /**
     * Tag-checked i32 loads through a {@link TaggedRegion}.
     *
     * @return the sum, so the loads are not dead code
     */
    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public int taggedRegionLoadI32() {
        TaggedRegion r = taggedRegion;
        int sum = 0;
        for (long pointer : regionPointers) {
            sum += r.getInt(pointer);
        }
        return sum;
    }
}
