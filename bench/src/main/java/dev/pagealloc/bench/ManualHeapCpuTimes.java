package dev.pagealloc.bench;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.ViewSharing;
import dev.pagealloc.heap.manual.HeapArena;
import dev.pagealloc.heap.manual.ManualHeap;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;

/**
 * A cross-check of {@link ManualHeapBenchmark}'s pairs and arenas on a shared machine, timed by the
 * thread's CPU time instead of the wall clock (which, on a loaded machine, includes the time other
 * processes hold the CPU), with the peers interleaved round by round so that they meet the same load:
 * <ul>
 *   <li>allocate+free pairs of {@code size} bytes, each block written and read once: ours against
 *       glibc {@code malloc}/{@code free} through FFM ({@code pairOurs}/{@code pairMalloc});
 *   <li>{@value ManualHeapBenchmark#TOGETHER} allocations of {@code size} bytes freed together by one
 *       close: our {@link HeapArena} against {@link Arena#ofConfined()} ({@code together*}), and zeroing
 *       the same bytes in 16 KiB strides ({@code zeroTogether}), the part both must pay.
 * </ul>
 *
 * <p>Usage: {@code java --enable-native-access=ALL-UNNAMED -cp pagealloc-bench.jar
 * dev.pagealloc.bench.ManualHeapCpuTimes [rounds [size...]]}; prints, per size (default 16, 64, 256 and
 * 1024 bytes), the medians over the rounds (default 21) after five warm-up rounds, in ns of CPU time per
 * pair or per allocation. Sizes run one after another in one JVM, so the JIT's profile of the first
 * shapes the code the later ones run; for figures beside JMH's (a fresh JVM per size, as its forks),
 * run one size per invocation. Single-threaded; not thread-safe.
 */
public final class ManualHeapCpuTimes {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final int PAIRS = 200_000;
    private static final int ARENAS = 200;
    private static final long[] DEFAULT_SIZES = {16, 64, 256, 1024};
    private static long sink;

    private ManualHeapCpuTimes() {}

    /**
     * Runs the measurements and prints them.
     *
     * @param args optionally the number of measured rounds, then the block sizes in bytes
     * @throws Throwable from the downcalls
     */
    public static void main(String[] args) throws Throwable {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 21;
        long[] sizes = args.length > 1
                ? Arrays.stream(args, 1, args.length).mapToLong(Long::parseLong).toArray() : DEFAULT_SIZES;
        PageAllocator pages = PageAllocator.builder().withPlatform("linux").withViewSharing(ViewSharing.SHARED)
                .build();
        System.out.println("size B | pair ours | malloc | ours/malloc | together: our arena | confined | zero only"
                + " | confined/ours  (ns of CPU time, medians of " + rounds + " rounds)");
        try (ManualHeap heap = ManualHeap.builder(pages).build()) {
            for (long size : sizes) {
                double[][] t = new double[5][rounds];
                MemorySegment zeroTarget = Arena.ofAuto().allocate(ManualHeapBenchmark.TOGETHER * size, 4096);
                for (int r = -5; r < rounds; r++) {
                    long a = cpu();
                    for (int i = 0; i < PAIRS; i++) {
                        sink += pairOurs(heap, size);
                    }
                    long b = cpu();
                    for (int i = 0; i < PAIRS; i++) {
                        sink += pairMalloc(size);
                    }
                    long c = cpu();
                    for (int i = 0; i < ARENAS; i++) {
                        try (HeapArena arena = heap.newArena()) {
                            sink += together(arena, size);
                        }
                    }
                    long d = cpu();
                    for (int i = 0; i < ARENAS; i++) {
                        try (Arena arena = Arena.ofConfined()) {
                            sink += together(arena, size);
                        }
                    }
                    long e = cpu();
                    for (int i = 0; i < ARENAS; i++) {
                        zero(zeroTarget);
                    }
                    long f = cpu();
                    if (r >= 0) {
                        double perAllocation = (double) ARENAS * ManualHeapBenchmark.TOGETHER;
                        t[0][r] = (b - a) / (double) PAIRS;
                        t[1][r] = (c - b) / (double) PAIRS;
                        t[2][r] = (d - c) / perAllocation;
                        t[3][r] = (e - d) / perAllocation;
                        t[4][r] = (f - e) / perAllocation;
                    }
                }
                double ours = median(t[0]);
                double malloc = median(t[1]);
                double arena = median(t[2]);
                double confined = median(t[3]);
                System.out.println(String.format(Locale.ROOT, "%6d | %9.1f | %6.1f | %10.2fx | %19.1f | %8.1f | %9.1f"
                        + " | %12.1fx", size, ours, malloc, ours / malloc, arena, confined, median(t[4]),
                        confined / arena));
            }
        }
        if (sink == 42) {
            System.out.println();
        }
    }

    private static long cpu() {
        return THREADS.getCurrentThreadCpuTime();
    }

    private static byte pairOurs(ManualHeap heap, long size) {
        MemorySegment block = heap.allocate(size);
        block.set(JAVA_BYTE, 0, (byte) 1);
        byte read = block.get(JAVA_BYTE, size - 1);
        heap.free(block, size);
        return read;
    }

    private static byte pairMalloc(long size) throws Throwable {
        MemorySegment block = FfmLibc.malloc(size);
        block.set(JAVA_BYTE, 0, (byte) 1);
        byte read = block.get(JAVA_BYTE, size - 1);
        FfmLibc.free(block);
        return read;
    }

    /**
     * Allocates {@link ManualHeapBenchmark#TOGETHER} zeroed blocks, each written and read once.
     *
     * @return the sum of the bytes read
     */
    static long together(SegmentAllocator allocator, long size) {
        long sum = 0;
        for (int i = 0; i < ManualHeapBenchmark.TOGETHER; i++) {
            MemorySegment block = allocator.allocate(size, 8);
            block.set(JAVA_BYTE, 0, (byte) i);
            sum += block.get(JAVA_BYTE, 0);
        }
        return sum;
    }

    /** Zeroes {@code target} in 16 KiB strides, as the arena zeroes a reused chunk ahead of its bump. */
    static void zero(MemorySegment target) {
        long stride = 16 * 1024;
        for (long at = 0; at < target.byteSize(); at += stride) {
            target.asSlice(at, Math.min(stride, target.byteSize() - at)).fill((byte) 0);
        }
    }

    /** {@return the median of {@code values} (the upper one of an even count)} */
    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
