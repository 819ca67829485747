package dev.pagealloc.cli;

import dev.pagealloc.heap.gc.BinaryTrees;
import dev.pagealloc.heap.gc.GcBench;
import dev.pagealloc.heap.gc.GcHeap;
import java.io.PrintStream;
import java.util.List;

/**
 * {@code pagealloc gc binary-trees N}: the Benchmarks Game's binary-trees on the GC heap, its standard
 * output, then the heap's statistics; {@code pagealloc gc gcbench}: Boehm's GCBench on the GC heap, the
 * same way.
 */
final class GcCommand {
    private static final String USAGE = "usage: pagealloc gc binary-trees N   (N from 0 to 24)\n"
            + "       pagealloc gc gcbench";

    private GcCommand() {}

    static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.equals(List.of("gcbench"))) {
            // The long-lived tree (4 MiB) and array (4 MB), with room for the stretch tree's survivors.
            try (GcHeap heap = GcHeap.builder().withNurseryBytes(16L << 20).withOldGenerationLimitBytes(64L << 20)
                    .build()) {
                new GcBench(heap).run(out::println);
                out.println();
                out.println("heap statistics:");
                out.println(heap.statistics());
            }
            return 0;
        }
        if (args.size() != 2 || !args.getFirst().equals("binary-trees")) {
            err.println(USAGE);
            return 2;
        }
        int n;
        try {
            n = Integer.parseInt(args.get(1));
        } catch (NumberFormatException e) {
            err.println("pagealloc gc: N must be a number, not '" + args.get(1) + "'\n" + USAGE);
            return 2;
        }
        if (n < 0 || n > 24) {
            err.println("pagealloc gc: N=" + n + " is outside [0, 24]\n" + USAGE);
            return 2;
        }
        // The long-lived tree and the stretch tree are live at once: 2^(n+2) nodes of 24 bytes at most, in the
        // old generation's two thirds of a budget of 1 GiB (the benchmarks' -Xmx1g) or more.
        long nodeBytes = 24L << (Math.max(6, n) + 2);
        long block = 64L << 20;
        long heapBytes = Math.max(1L << 30, Math.ceilDiv(3 * nodeBytes, block) * block);
        try (GcHeap heap = GcHeap.builder().withHeapBytes(heapBytes).build()) {
            long start = System.nanoTime();
            new BinaryTrees(heap).run(n, out::println);
            long millis = (System.nanoTime() - start) / 1_000_000;
            out.println();
            out.println("heap statistics after " + millis + " ms:");
            out.println(heap.statistics());
        }
        return 0;
    }
}
