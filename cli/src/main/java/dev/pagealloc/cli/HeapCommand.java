package dev.pagealloc.cli;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Units;
import dev.pagealloc.api.ViewQuarantine;
import dev.pagealloc.api.ViewSharing;
import dev.pagealloc.heap.manual.HeapArena;
import dev.pagealloc.heap.manual.HeapStatistics;
import dev.pagealloc.heap.manual.ManualHeap;
import dev.pagealloc.heap.manual.SizeClassStatistics;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code pagealloc heap [--threads N] [--operations N]}: a mixed malloc/free workload on the manual
 * heap from several threads, then its statistics (live, peak, totals, size classes, thread caches),
 * an arena's allocations freed together, and the kernel's view of the heap's pages before and after
 * trim and close.
 */
final class HeapCommand {
    private static final String USAGE = "usage: pagealloc heap [--threads N] [--operations N]"
            + "   (N threads from 1 to 64, default 4; operations per thread from 1 to 100000000, default 200000)";
    /** Live blocks per thread. */
    private static final int WINDOW = 256;
    /** One operation in this many allocates a large block (pages of its own). */
    private static final int LARGE_EVERY = 5000;
    /** How long a slab stays idle before a trim returns it. */
    private static final Duration IDLE = Duration.ofMillis(200);
    /** Rounds of the arena part; the last one is timed. */
    private static final int ARENA_ROUNDS = 20;

    private HeapCommand() {}

    static int run(List<String> args, PrintStream out, PrintStream err) {
        int threads = 4;
        long operations = 200_000;
        for (int i = 0; i < args.size(); i += 2) {
            String option = args.get(i);
            if (i + 1 >= args.size() || !(option.equals("--threads") || option.equals("--operations"))) {
                err.println("pagealloc heap: unexpected argument '" + option + "'\n" + USAGE);
                return 2;
            }
            long value;
            try {
                value = Long.parseLong(args.get(i + 1));
            } catch (NumberFormatException e) {
                err.println("pagealloc heap: " + option + " must be a number, not '" + args.get(i + 1) + "'\n" + USAGE);
                return 2;
            }
            long limit = option.equals("--threads") ? 64 : 100_000_000;
            if (value < 1 || value > limit) {
                err.println("pagealloc heap: " + option + "=" + value + " is outside [1, " + limit + "]\n" + USAGE);
                return 2;
            }
            if (option.equals("--threads")) {
                threads = (int) value;
            } else {
                operations = value;
            }
        }
        PageAllocator pages = PageAllocator.builder().withViewSharing(ViewSharing.SHARED)
                .withViewQuarantine(ViewQuarantine.NONE).build(); // unmaps at once: the kernel's view is current
        // Not a zero threshold: trims run by themselves every threshold, and would unmap and map slabs
        // all through the workload.
        ManualHeap heap = ManualHeap.builder(pages).withIdleThreshold(IDLE).withExactPeak(true).build();
        try {
            out.println("mixed workload: " + threads + " threads x " + operations + " operations, each thread keeping "
                    + WINDOW + " blocks live (16 B to 4 KiB, one in " + LARGE_EVERY + " of 64 to 256 KiB)");
            long nanos = workload(heap, threads, operations);
            out.println("done in " + nanos / 1_000_000 + " ms: " + nanos / operations
                    + " ns per operation in each thread (a free and an allocate, the threads at once; JIT warm-up"
                    + " included: a figure, not a benchmark)");
            out.println("after the threads ended (their caches retired, their blocks back in the slabs):");
            HeapStatistics stats = heap.statistics();
            print(out, stats);

            MemorySegment small = heap.allocate(100);
            MemorySegment large = heap.allocate(200_000);
            small.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
            large.set(ValueLayout.JAVA_BYTE, 199_999, (byte) 1);
            long arenaNanos = 0;
            for (int round = 0; round < ARENA_ROUNDS; round++) {
                arenaNanos = arena(heap);
            }
            out.println("an arena: 10000 allocations of 16 B to 1 KiB freed together by one close, "
                    + arenaNanos / 10_000 + " ns per allocation in the last of " + ARENA_ROUNDS + " rounds");
            long returned = heap.trim(); // marks the empty slabs idle
            sleep(IDLE.multipliedBy(2));
            returned += heap.trim();
            out.println("after " + IDLE.multipliedBy(2).toMillis() + " ms idle, trim returned " + Units.bytes(returned)
                    + " of empty slabs and kept arena chunks; held now " + Units.bytes(heap.statistics().heldBytes())
                    + " (the two blocks below)");
            kernel(out, "before close", small, large);
            heap.close();
            kernel(out, "after close", small, large);
        } finally {
            heap.close();
        }
        return 0;
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the idle threshold", e);
        }
    }

    private static long workload(ManualHeap heap, int threads, long operations) {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> started = new ArrayList<>();
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            long seed = 42 + t;
            started.add(Thread.ofPlatform().name("heap-worker-" + t).start(() -> {
                try {
                    window(heap, seed, operations);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        for (Thread thread : started) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the workers", e);
            }
        }
        long nanos = System.nanoTime() - start;
        if (failure.get() != null) {
            throw new IllegalStateException("a worker failed: " + failure.get(), failure.get());
        }
        return nanos;
    }

    /** Frees the oldest of {@link #WINDOW} live blocks and allocates one, {@code operations} times; then frees all. */
    private static void window(ManualHeap heap, long seed, long operations) {
        SplittableRandom random = new SplittableRandom(seed);
        MemorySegment[] live = new MemorySegment[WINDOW];
        for (long op = 0; op < operations; op++) {
            int slot = (int) (op % WINDOW);
            if (live[slot] != null) {
                heap.free(live[slot], live[slot].byteSize());
            }
            int kind = random.nextInt(10);
            long size = random.nextInt(LARGE_EVERY) == 0 ? 64 * 1024 + random.nextInt(192 * 1024)
                    : kind < 7 ? 16 + random.nextInt(240) : kind < 9 ? 256 + random.nextInt(768)
                    : 1024 + random.nextInt(3072);
            MemorySegment block = heap.allocate(size);
            block.set(ValueLayout.JAVA_BYTE, size - 1, (byte) op);
            live[slot] = block;
        }
        for (MemorySegment block : live) {
            if (block != null) {
                heap.free(block);
            }
        }
    }

    private static long arena(ManualHeap heap) {
        long start = System.nanoTime();
        try (HeapArena arena = heap.newArena()) {
            for (int i = 0; i < 10_000; i++) {
                arena.allocate(16L << (i % 7), 8).set(ValueLayout.JAVA_BYTE, 0, (byte) i);
            }
        }
        return System.nanoTime() - start;
    }

    private static void print(PrintStream out, HeapStatistics stats) {
        out.println("  live " + stats.liveBlocks() + " blocks, " + Units.bytes(stats.liveBytes()) + "; peak "
                + Units.bytes(stats.peakLiveBytes()) + "; " + stats.allocations() + " allocations, " + stats.frees()
                + " frees; " + Units.bytes(stats.heldBytes()) + " of pages held; " + stats.threadCaches()
                + " thread caches");
        StringBuilder classes = new StringBuilder("  size classes used (block bytes: allocations, slabs held):");
        for (SizeClassStatistics each : stats.sizeClasses()) {
            if (each.allocations() > 0) {
                classes.append(' ').append(each.blockBytes()).append(": ").append(each.allocations()).append(", ")
                        .append(each.slabs()).append(';');
            }
        }
        out.println(classes);
    }

    private static void kernel(PrintStream out, String when, MemorySegment small, MemorySegment large) {
        if (!ProcView.available()) {
            out.println("the kernel's view " + when + ": not readable here (Linux only)");
            return;
        }
        out.println("the kernel's view " + when + " (/proc/self/maps):");
        for (MemorySegment block : List.of(small, large)) {
            List<String> lines = ProcView.maps(block.address(), block.address() + 1);
            out.println("  the " + (block == small ? "100-byte block's slab" : "200000-byte block's own region")
                    + " at " + Units.hex(block.address()) + ": " + (lines.isEmpty() ? "no mapping" : lines.getFirst()));
        }
    }
}
