package dev.pagealloc.bench;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.ViewSharing;
import dev.pagealloc.heap.manual.HeapArena;
import dev.pagealloc.heap.manual.ManualHeap;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.util.Arrays;
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
 * The manual heap ({@code dev.pagealloc.heap.manual}) against its peers, side by side in one run:
 * glibc {@code malloc}/{@code free} called through FFM (the result made a bounded segment, as a
 * user must), one {@link Arena#ofConfined()} or {@link Arena#ofShared()} per block, and for blocks
 * freed together, one JDK arena for all of them.
 *
 * <ul>
 *   <li>{@code pair*}: allocate a block of {@code size} bytes, write a byte, free it (ns per pair);
 *       ours with and without per-thread caches, unchecked and checked (a scope per block);
 *   <li>{@code burst*}: allocate {@value #BURST} blocks of {@code size} bytes, then free them all
 *       (ns per block): what the per-thread caches save over taking the size class's lock;
 *   <li>{@code mixed*}: a window of {@value #WINDOW} live blocks of mixed sizes (16 B to 4 KiB,
 *       mostly small); each operation frees the oldest and allocates one (ns per operation; the
 *       {@code size} parameter does not apply: run it with one);
 *   <li>{@code together*}: {@value #TOGETHER} allocations of {@code size} bytes then one close
 *       (ns per allocation): our {@link HeapArena} against a confined and a shared JDK arena;
 *       {@code togetherMixed*}: the same with mixed sizes (16 B to 1 KiB, mostly small; the
 *       {@code size} parameter does not apply);
 *   <li>{@code togetherFrom*}: the same with {@code allocateFrom} of an {@code int[]} of {@code size}
 *       bytes, and {@code togetherString*} of an ASCII string of {@code size - 1} characters (neither arena
 *       zeroes these first: the copy overwrites every byte); {@code togetherUninitializedHeapArena}: our
 *       {@link HeapArena#allocateUninitialized} from one arena reset after each round (its own bytes come back
 *       unzeroed): compare with {@code togetherConfinedArena}, what skipping the zeroing saves a user who may;
 *   <li>{@code zeroTogether}: zeroing {@value #TOGETHER} x {@code size} bytes in 16 KiB strides, as a
 *       reused arena chunk is (ns per {@code size} bytes): the part of {@code together*} at large
 *       sizes that both arenas must pay;
 *   <li>{@code segment*}: what making a block's bounded segment costs, written and read once: a slice
 *       of a slab's shared region view (as the heap makes it) against a global-scope segment made by
 *       {@code MemorySegment.reinterpret} with a size (as a user of {@code malloc} must).
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 3, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 4, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@State(Scope.Thread)
public class ManualHeapBenchmark {
    /** Live blocks in the mixed workload. */
    static final int WINDOW = 256;
    /** Blocks allocated, then freed, in one burst. */
    static final int BURST = 64;
    /** Allocations freed together by one close. */
    static final int TOGETHER = 1000;

    /** The block size, in bytes. */
    @Param({"16", "64", "256", "1024"})
    public int size;

    private ManualHeap heap;
    private ManualHeap uncachedHeap;
    private ManualHeap checkedHeap;
    private long[] mixedSizes;
    private long[] togetherSizes;
    private Region region;
    private MemorySegment regionView;
    private MemorySegment zeroTarget;
    private final MemorySegment[] burstBlocks = new MemorySegment[BURST];
    private int[] togetherInts;
    private String togetherText;
    /** Made by the benchmark thread on first use (an arena belongs to its maker), reset after each round. */
    private HeapArena reusedArena;

    /** Builds the heaps and the mixed workload's sizes. */
    @Setup(Level.Trial)
    public void setUp() {
        PageAllocator pages = PageAllocator.builder().withPlatform("linux").withViewSharing(ViewSharing.SHARED).build();
        heap = ManualHeap.builder(pages).build();
        region = pages.allocate(16, 16);
        regionView = region.segment();
        zeroTarget = Arena.ofAuto().allocate((long) TOGETHER * size, 4096);
        uncachedHeap = ManualHeap.builder(pages).withThreadCaches(false).build();
        checkedHeap = ManualHeap.builder(pages).withCheckedBlocks(true).build();
        SplittableRandom random = new SplittableRandom(42);
        mixedSizes = new long[4096];
        for (int i = 0; i < mixedSizes.length; i++) {
            int kind = random.nextInt(10);
            mixedSizes[i] = kind < 7 ? 16 + random.nextInt(240) : kind < 9 ? 256 + random.nextInt(768)
                    : 1024 + random.nextInt(3072);
        }
        togetherInts = new int[size / 4];
        Arrays.fill(togetherInts, 7);
        togetherText = "p".repeat(size - 1);
        togetherSizes = new long[TOGETHER];
        for (int i = 0; i < TOGETHER; i++) {
            int kind = random.nextInt(10);
            togetherSizes[i] = kind < 6 ? 8 + random.nextInt(56) : kind < 9 ? 64 + random.nextInt(192)
                    : 256 + random.nextInt(769);
        }
    }

    /** Frees the heaps. */
    @TearDown(Level.Trial)
    public void tearDown() {
        if (reusedArena != null) {
            reusedArena.close();
        }
        heap.close();
        region.deallocate();
        uncachedHeap.close();
        checkedHeap.close();
    }

    /** @return the byte written */
    @Benchmark
    public byte pairOurs() {
        MemorySegment block = heap.allocate(size);
        block.set(JAVA_BYTE, 0, (byte) 1);
        byte read = block.get(JAVA_BYTE, size - 1);
        heap.free(block, size);
        return read;
    }

    /** @return the byte written */
    @Benchmark
    public byte pairOursNoThreadCache() {
        MemorySegment block = uncachedHeap.allocate(size);
        block.set(JAVA_BYTE, 0, (byte) 1);
        byte read = block.get(JAVA_BYTE, size - 1);
        uncachedHeap.free(block, size);
        return read;
    }

    /** @return the byte written */
    @Benchmark
    public byte pairOursChecked() {
        MemorySegment block = checkedHeap.allocate(size);
        block.set(JAVA_BYTE, 0, (byte) 1);
        byte read = block.get(JAVA_BYTE, size - 1);
        checkedHeap.free(block, size);
        return read;
    }

    /**
     * @return the byte written
     * @throws Throwable from the downcalls
     */
    @Benchmark
    public byte pairMalloc() throws Throwable {
        MemorySegment block = FfmLibc.malloc(size);
        block.set(JAVA_BYTE, 0, (byte) 1);
        byte read = block.get(JAVA_BYTE, size - 1);
        FfmLibc.free(block);
        return read;
    }

    /** @return the byte written */
    @Benchmark
    public byte pairConfinedArena() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment block = arena.allocate(size);
            block.set(JAVA_BYTE, 0, (byte) 1);
            return block.get(JAVA_BYTE, size - 1);
        }
    }

    /** @return the byte written */
    @Benchmark
    public byte pairSharedArena() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment block = arena.allocate(size);
            block.set(JAVA_BYTE, 0, (byte) 1);
            return block.get(JAVA_BYTE, size - 1);
        }
    }

    /** @return the sum of a byte of each block */
    @Benchmark
    @OperationsPerInvocation(BURST)
    public long burstOurs() {
        return burst(heap);
    }

    /** @return the sum of a byte of each block */
    @Benchmark
    @OperationsPerInvocation(BURST)
    public long burstOursNoThreadCache() {
        return burst(uncachedHeap);
    }

    private long burst(ManualHeap h) {
        long sum = 0;
        for (int i = 0; i < BURST; i++) {
            MemorySegment block = h.allocate(size);
            block.set(JAVA_BYTE, 0, (byte) i);
            burstBlocks[i] = block;
        }
        for (int i = 0; i < BURST; i++) {
            sum += burstBlocks[i].get(JAVA_BYTE, 0);
            h.free(burstBlocks[i], size);
        }
        return sum;
    }

    /**
     * @return the sum of a byte of each block
     * @throws Throwable from the downcalls
     */
    @Benchmark
    @OperationsPerInvocation(BURST)
    public long burstMalloc() throws Throwable {
        long sum = 0;
        for (int i = 0; i < BURST; i++) {
            MemorySegment block = FfmLibc.malloc(size);
            block.set(JAVA_BYTE, 0, (byte) i);
            burstBlocks[i] = block;
        }
        for (int i = 0; i < BURST; i++) {
            sum += burstBlocks[i].get(JAVA_BYTE, 0);
            FfmLibc.free(burstBlocks[i]);
        }
        return sum;
    }

    /** A full window of live blocks for the mixed workload, per peer. */
    @State(Scope.Thread)
    public static class Window {
        MemorySegment[] blocks = new MemorySegment[WINDOW];
        Arena[] arenas = new Arena[WINDOW];
        int next;
        int sizeIndex;
    }

    /** @param w the window */
    @Benchmark
    public void mixedOurs(Window w) {
        int slot = w.next++ & (WINDOW - 1);
        if (w.blocks[slot] != null) {
            heap.free(w.blocks[slot]);
        }
        MemorySegment block = heap.allocate(mixedSizes[w.sizeIndex++ & (mixedSizes.length - 1)]);
        block.set(JAVA_BYTE, 0, (byte) 1);
        w.blocks[slot] = block;
    }

    /**
     * @param w the window
     * @throws Throwable from the downcalls
     */
    @Benchmark
    public void mixedMalloc(Window w) throws Throwable {
        int slot = w.next++ & (WINDOW - 1);
        if (w.blocks[slot] != null) {
            FfmLibc.free(w.blocks[slot]);
        }
        MemorySegment block = FfmLibc.malloc(mixedSizes[w.sizeIndex++ & (mixedSizes.length - 1)]);
        block.set(JAVA_BYTE, 0, (byte) 1);
        w.blocks[slot] = block;
    }

    /** @param w the window */
    @Benchmark
    public void mixedConfinedArena(Window w) {
        int slot = w.next++ & (WINDOW - 1);
        if (w.arenas[slot] != null) {
            w.arenas[slot].close();
        }
        Arena arena = Arena.ofConfined();
        MemorySegment block = arena.allocate(mixedSizes[w.sizeIndex++ & (mixedSizes.length - 1)]);
        block.set(JAVA_BYTE, 0, (byte) 1);
        w.arenas[slot] = arena;
    }

    /** @param w the window */
    @Benchmark
    public void mixedSharedArena(Window w) {
        int slot = w.next++ & (WINDOW - 1);
        if (w.arenas[slot] != null) {
            w.arenas[slot].close();
        }
        Arena arena = Arena.ofShared();
        MemorySegment block = arena.allocate(mixedSizes[w.sizeIndex++ & (mixedSizes.length - 1)]);
        block.set(JAVA_BYTE, 0, (byte) 1);
        w.arenas[slot] = arena;
    }

    /** @return the sum of a byte of each allocation */
    @Benchmark
    @OperationsPerInvocation(TOGETHER)
    public long togetherHeapArena() {
        try (HeapArena arena = heap.newArena()) {
            return allocateTogether(arena);
        }
    }

    /** @return the sum of a byte of each allocation */
    @Benchmark
    @OperationsPerInvocation(TOGETHER)
    public long togetherConfinedArena() {
        try (Arena arena = Arena.ofConfined()) {
            return allocateTogether(arena);
        }
    }

    /** @return the sum of a byte of each allocation */
    @Benchmark
    @OperationsPerInvocation(TOGETHER)
    public long togetherSharedArena() {
        try (Arena arena = Arena.ofShared()) {
            return allocateTogether(arena);
        }
    }

    /** @return the sum of a byte of each allocation */
    @Benchmark
    @OperationsPerInvocation(TOGETHER)
    public long togetherMixedHeapArena() {
        try (HeapArena arena = heap.newArena()) {
            return allocateMixedTogether(arena);
        }
    }

    /** @return the sum of a byte of each allocation */
    @Benchmark
    @OperationsPerInvocation(TOGETHER)
    public long togetherMixedConfinedArena() {
        try (Arena arena = Arena.ofConfined()) {
            return allocateMixedTogether(arena);
        }
    }

    /** @return the sum of a byte of each allocation */
    @Benchmark
    @OperationsPerInvocation(TOGETHER)
    public long togetherFromHeapArena() {
        try (HeapArena arena = heap.newArena()) {
            return allocateFromTogether(arena);
        }
    }

    /** @return the sum of a byte of each allocation */
    @Benchmark
    @OperationsPerInvocation(TOGETHER)
    public long togetherFromConfinedArena() {
        try (Arena arena = Arena.ofConfined()) {
            return allocateFromTogether(arena);
        }
    }

    /** @return the sum of a byte of each allocation */
    @Benchmark
    @OperationsPerInvocation(TOGETHER)
    public long togetherStringHeapArena() {
        try (HeapArena arena = heap.newArena()) {
            return allocateStringsTogether(arena);
        }
    }

    /** @return the sum of a byte of each allocation */
    @Benchmark
    @OperationsPerInvocation(TOGETHER)
    public long togetherStringConfinedArena() {
        try (Arena arena = Arena.ofConfined()) {
            return allocateStringsTogether(arena);
        }
    }

    /** @return the sum of a byte of each allocation */
    @Benchmark
    @OperationsPerInvocation(TOGETHER)
    public long togetherUninitializedHeapArena() {
        if (reusedArena == null) {
            reusedArena = heap.newArena();
        }
        long sum = 0;
        for (int i = 0; i < TOGETHER; i++) {
            MemorySegment block = reusedArena.allocateUninitialized(size, 8);
            block.set(JAVA_BYTE, 0, (byte) i);
            sum += block.get(JAVA_BYTE, 0);
        }
        reusedArena.reset();
        return sum;
    }

    /** @return the segment zeroed */
    @Benchmark
    @OperationsPerInvocation(TOGETHER)
    public MemorySegment zeroTogether() {
        long stride = 16 * 1024;
        for (long at = 0; at < zeroTarget.byteSize(); at += stride) {
            zeroTarget.asSlice(at, Math.min(stride, zeroTarget.byteSize() - at)).fill((byte) 0);
        }
        return zeroTarget;
    }

    /** @return the byte read */
    @Benchmark
    public byte segmentSliceOfRegionView() {
        MemorySegment block = regionView.asSlice(size, size);
        block.set(JAVA_BYTE, 0, (byte) 1);
        return block.get(JAVA_BYTE, size - 1);
    }

    /** @return the byte read */
    @Benchmark
    @SuppressWarnings("restricted")
    public byte segmentReinterpretGlobal() {
        // SAFETY: the region stays mapped for the whole trial; the segment covers bytes inside it.
        MemorySegment block = MemorySegment.ofAddress(regionView.address() + size).reinterpret(size);
        block.set(JAVA_BYTE, 0, (byte) 1);
        return block.get(JAVA_BYTE, size - 1);
    }

    private long allocateMixedTogether(SegmentAllocator allocator) {
        long sum = 0;
        for (int i = 0; i < TOGETHER; i++) {
            MemorySegment block = allocator.allocate(togetherSizes[i], 8);
            block.set(JAVA_BYTE, 0, (byte) i);
            sum += block.get(JAVA_BYTE, 0);
        }
        return sum;
    }

    private long allocateFromTogether(SegmentAllocator allocator) {
        long sum = 0;
        for (int i = 0; i < TOGETHER; i++) {
            sum += allocator.allocateFrom(JAVA_INT, togetherInts).get(JAVA_BYTE, 0);
        }
        return sum;
    }

    private long allocateStringsTogether(SegmentAllocator allocator) {
        long sum = 0;
        for (int i = 0; i < TOGETHER; i++) {
            sum += allocator.allocateFrom(togetherText).get(JAVA_BYTE, 0);
        }
        return sum;
    }

    /** {@value #TOGETHER} blocks of {@link #size} bytes from {@code allocator}, each written and read once. */
    private long allocateTogether(SegmentAllocator allocator) {
        long sum = 0;
        for (int i = 0; i < TOGETHER; i++) {
            MemorySegment block = allocator.allocate(size, 8);
            block.set(JAVA_BYTE, 0, (byte) i);
            sum += block.get(JAVA_BYTE, 0);
        }
        return sum;
    }
}
