package dev.pagealloc.bench;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

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
 * Our {@link HeapArena} against {@link Arena#ofConfined()} for {@value ManualHeapBenchmark#TOGETHER}
 * allocations of {@code size} bytes freed together, timed by the thread's CPU time (as
 * {@link ManualHeapCpuTimes} is, and for the same reason: the wall clock of a shared machine includes
 * other processes' time), with the peers interleaved round by round so that they meet the same load.
 * Per size, in ns of CPU time per allocation, each block written and read once:
 * <ul>
 *   <li>{@code allocate}: zeroed blocks, one new arena per round of allocations, closed after it (as
 *       {@code ManualHeapBenchmark.together*});
 *   <li>{@code allocateFrom}: an {@code int[]} of {@code size} bytes copied in (neither arena zeroes first);
 *   <li>{@code string}: {@code allocateFrom} of an ASCII string of {@code size - 1} characters (and its
 *       terminator);
 *   <li>{@code uninit}: ours {@link HeapArena#allocateUninitialized} from one arena {@link HeapArena#reset()}
 *       after each round (so its chunks hold its own bytes and are not zeroed again) against the
 *       confined arena's zeroed {@code allocate} (the JDK offers users no other): not the same work,
 *       what a user who may skip the zeroing saves;
 *   <li>{@code zero}: zeroing the same bytes in 16 KiB strides, the part of {@code allocate} at large
 *       sizes that both arenas pay.
 * </ul>
 *
 * <p>Usage: {@code java --enable-native-access=ALL-UNNAMED -cp pagealloc-bench.jar
 * dev.pagealloc.bench.ArenaCpuTimes [rounds [size...]]}; prints medians over the rounds (default 21)
 * after five warm-up rounds, sizes by default 16, 64, 256 and 1024 bytes, one after another in one JVM
 * (for figures that do not carry one size's JIT profile into the next, run one size per invocation).
 * Single-threaded; not thread-safe.
 */
public final class ArenaCpuTimes {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final int ARENAS = 200;
    private static final int TOGETHER = ManualHeapBenchmark.TOGETHER;
    private static final long[] DEFAULT_SIZES = {16, 64, 256, 1024};
    private static final String[] COLUMNS = {"allocate ours", "confined", "allocateFrom ours", "confined",
        "string ours", "confined", "uninit ours", "zero only"};
    private static long sink;

    private ArenaCpuTimes() {}

    /**
     * Runs the measurements and prints them.
     *
     * @param args optionally the number of measured rounds, then the block sizes in bytes (multiples of 4)
     */
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 21;
        long[] sizes = args.length > 1
                ? Arrays.stream(args, 1, args.length).mapToLong(Long::parseLong).toArray() : DEFAULT_SIZES;
        PageAllocator pages = PageAllocator.builder().withPlatform("linux").withViewSharing(ViewSharing.SHARED)
                .build();
        System.out.println("size B | " + String.join(" | ", COLUMNS) + " | ratios confined/ours: allocate,"
                + " allocateFrom, string, uninit  (ns of CPU time per allocation, medians of " + rounds + " rounds)");
        try (ManualHeap heap = ManualHeap.builder(pages).build()) {
            for (long size : sizes) {
                run(heap, size, rounds);
            }
        }
        if (sink == 42) {
            System.out.println();
        }
    }

    private static void run(ManualHeap heap, long size, int rounds) {
        int[] ints = new int[Math.toIntExact(size / 4)];
        Arrays.fill(ints, 7);
        String text = "p".repeat(Math.toIntExact(size - 1));
        MemorySegment zeroTarget = Arena.ofAuto().allocate(TOGETHER * size, 4096);
        double[][] t = new double[COLUMNS.length][rounds];
        try (HeapArena reused = heap.newArena()) {
            for (int r = -5; r < rounds; r++) {
                long[] at = new long[COLUMNS.length + 1];
                at[0] = cpu();
                for (int i = 0; i < ARENAS; i++) {
                    try (HeapArena arena = heap.newArena()) {
                        sink += ManualHeapCpuTimes.together(arena, size);
                    }
                }
                at[1] = cpu();
                for (int i = 0; i < ARENAS; i++) {
                    try (Arena arena = Arena.ofConfined()) {
                        sink += ManualHeapCpuTimes.together(arena, size);
                    }
                }
                at[2] = cpu();
                for (int i = 0; i < ARENAS; i++) {
                    try (HeapArena arena = heap.newArena()) {
                        sink += fromArray(arena, ints);
                    }
                }
                at[3] = cpu();
                for (int i = 0; i < ARENAS; i++) {
                    try (Arena arena = Arena.ofConfined()) {
                        sink += fromArray(arena, ints);
                    }
                }
                at[4] = cpu();
                for (int i = 0; i < ARENAS; i++) {
                    try (HeapArena arena = heap.newArena()) {
                        sink += fromString(arena, text);
                    }
                }
                at[5] = cpu();
                for (int i = 0; i < ARENAS; i++) {
                    try (Arena arena = Arena.ofConfined()) {
                        sink += fromString(arena, text);
                    }
                }
                at[6] = cpu();
                for (int i = 0; i < ARENAS; i++) {
                    sink += uninitialized(reused, size);
                    reused.reset();
                }
                at[7] = cpu();
                for (int i = 0; i < ARENAS; i++) {
                    ManualHeapCpuTimes.zero(zeroTarget);
                }
                at[8] = cpu();
                if (r >= 0) {
                    for (int c = 0; c < COLUMNS.length; c++) {
                        t[c][r] = (at[c + 1] - at[c]) / ((double) ARENAS * TOGETHER);
                    }
                }
            }
        }
        double[] m = new double[COLUMNS.length];
        for (int c = 0; c < m.length; c++) {
            m[c] = ManualHeapCpuTimes.median(t[c]);
        }
        System.out.println(String.format(Locale.ROOT, "%6d | %13.1f | %8.1f | %17.1f | %8.1f | %11.1f | %8.1f | %11.1f"
                + " | %9.1f | %.1fx, %.1fx, %.1fx, %.1fx", size, m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7],
                m[1] / m[0], m[3] / m[2], m[5] / m[4], m[1] / m[6]));
    }

    private static long cpu() {
        return THREADS.getCurrentThreadCpuTime();
    }

    private static long fromArray(SegmentAllocator allocator, int[] ints) {
        long sum = 0;
        for (int i = 0; i < TOGETHER; i++) {
            MemorySegment block = allocator.allocateFrom(JAVA_INT, ints);
            sum += block.get(JAVA_BYTE, 0);
        }
        return sum;
    }

    private static long fromString(SegmentAllocator allocator, String text) {
        long sum = 0;
        for (int i = 0; i < TOGETHER; i++) {
            MemorySegment block = allocator.allocateFrom(text);
            sum += block.get(JAVA_BYTE, 0);
        }
        return sum;
    }

    private static long uninitialized(HeapArena arena, long size) {
        long sum = 0;
        for (int i = 0; i < TOGETHER; i++) {
            MemorySegment block = arena.allocateUninitialized(size, 8);
            block.set(JAVA_BYTE, 0, (byte) i);
            sum += block.get(JAVA_BYTE, 0);
        }
        return sum;
    }

}
