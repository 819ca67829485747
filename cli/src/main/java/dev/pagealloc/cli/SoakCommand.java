package dev.pagealloc.cli;

import dev.pagealloc.api.AllocatorStatistics;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code pagealloc soak --minutes N [--threads T]}: random operations across the layers (regions,
 * linear memories, the manual heap, the GC heap, the JIT code heap) from T threads for N minutes
 * ({@link SoakWorkload}); prints the operations done, the errors raised and handled by kind, and the
 * process's mapping count ({@code /proc/self/maps} lines) and resident memory ({@code VmRSS} of
 * {@code /proc/self/status}, proc(5)) at the start and the end.
 *
 * <p>Exit status 1 if an error the workload did not provoke on purpose was raised, if the allocator
 * still holds a region or committed bytes, or if the mappings or RSS did not come back within the
 * tolerance: {@value #MAPPING_TOLERANCE} mappings and the larger of {@value #RSS_TOLERANCE_KIB} KiB and a
 * tenth of the start. The tolerance is for the JVM, not for pagealloc (whose own figures must be back at
 * zero exactly): a warm-up round with the same threads runs before the start is read, so the
 * malloc arenas, code cache and metaspace the workload needs already exist, but the JIT still compiles
 * and the collector still resizes the Java heap during the run (the largest share: a 5-minute soak
 * here ended 29 MiB above its start with the allocator at zero), each a few mappings or megabytes. A
 * leak of one region per operation passes either bound within a second. The Java heap's committed size
 * is printed at both ends, to tell its growth from the rest.
 */
final class SoakCommand {
    static final int MAPPING_TOLERANCE = 32;
    static final long RSS_TOLERANCE_KIB = 64 * 1024;
    private static final String USAGE = "usage: pagealloc soak --minutes N [--threads T]   (N may be a fraction)";

    private SoakCommand() {}

    static int run(List<String> args, PrintStream out, PrintStream err) {
        double minutes = -1;
        int threads = 4;
        try {
            for (int i = 0; i < args.size(); i += 2) {
                String value = i + 1 < args.size() ? args.get(i + 1) : null;
                switch (args.get(i)) {
                    case "--minutes" -> minutes = Double.parseDouble(value);
                    case "--threads" -> threads = Integer.parseInt(value);
                    default -> throw new IllegalArgumentException("unknown option '" + args.get(i) + "'");
                }
            }
        } catch (NumberFormatException | NullPointerException e) {
            err.println("pagealloc soak: a number is missing or malformed: " + e.getMessage() + "\n" + USAGE);
            return 2;
        } catch (IllegalArgumentException e) {
            err.println("pagealloc soak: " + e.getMessage() + "\n" + USAGE);
            return 2;
        }
        if (!(minutes > 0 && minutes <= 7 * 24 * 60) || threads < 1 || threads > 256) {
            err.println("pagealloc soak: --minutes must be in (0, 10080] (got " + minutes + ") and --threads in"
                    + " [1, 256] (got " + threads + ")\n" + USAGE);
            return 2;
        }
        try (SoakWorkload workload = new SoakWorkload()) {
            return soak(workload, minutes, threads, out);
        }
    }

    private static int soak(SoakWorkload workload, double minutes, int threads, PrintStream out) {
        out.printf("soak: %d threads for %s minutes; layers: regions, linear memories, manual heap, GC heap%s%n",
                threads, minutes, workload.hasJit() ? ", JIT code heap" : " (no JIT: this platform cannot run code)");
        runThreads(workload, threads, 1_000_000_000L);
        long warmUpOperations = workload.operations.sum();
        workload.operations.reset();
        workload.handled.clear();
        Process start = Process.read(workload);
        out.printf("start: %d mappings, RSS %d KiB, Java heap committed %d KiB (after a 1 s warm-up of %d"
                + " operations)%n", start.mappings, start.rssKib, javaHeapKib(), warmUpOperations);
        runThreads(workload, threads, (long) (minutes * 60e9));
        Process end = Process.settle(workload, start);
        out.println("operations: " + workload.operations.sum());
        out.println("errors raised and handled: " + sorted(workload.handled));
        out.println("unexpected errors: " + sorted(workload.unexpected)
                + (workload.unexpectedSamples.isEmpty() ? "" : " e.g. " + workload.unexpectedSamples));
        AllocatorStatistics stats = workload.allocator.statistics();
        out.printf("allocator: %d live regions, %d committed bytes, %d failures counted%n", stats.liveRegions(),
                stats.committedBytes(), stats.failures());
        long rssTolerance = Math.max(RSS_TOLERANCE_KIB, start.rssKib / 10);
        out.printf("end: %d mappings (%+d), RSS %d KiB (%+d), Java heap committed %d KiB; tolerance %d mappings,"
                + " %d KiB%n", end.mappings, end.mappings - start.mappings, end.rssKib, end.rssKib - start.rssKib,
                javaHeapKib(), MAPPING_TOLERANCE, rssTolerance);
        List<String> problems = new ArrayList<>();
        if (!workload.unexpected.isEmpty()) {
            problems.add("unexpected errors");
        }
        if (stats.liveRegions() != 0 || stats.committedBytes() != 0) {
            problems.add("the allocator still holds memory");
        }
        if (end.mappings - start.mappings > MAPPING_TOLERANCE) {
            problems.add("mappings did not come back");
        }
        if (end.rssKib - start.rssKib > rssTolerance) {
            problems.add("RSS did not come back");
        }
        out.println(problems.isEmpty() ? "result: OK" : "result: FAILED: " + String.join(", ", problems));
        return problems.isEmpty() ? 0 : 1;
    }

    private static void runThreads(SoakWorkload workload, int threads, long nanos) {
        long deadline = System.nanoTime() + nanos;
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long seed = System.nanoTime() ^ (long) t << 32;
            started.add(Thread.ofPlatform().name("soak-" + t).start(() -> workload.run(seed, deadline)));
        }
        for (Thread thread : started) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("pagealloc soak: interrupted", e);
            }
        }
    }

    private static long javaHeapKib() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted() / 1024;
    }

    private static Map<String, Long> sorted(Map<String, LongAdder> counts) {
        Map<String, Long> out = new TreeMap<>();
        counts.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** The process's mapping count and resident set, as the kernel reports them. */
    private record Process(long mappings, long rssKib) {
        static Process read(SoakWorkload workload) {
            try {
                long mappings;
                try (var lines = Files.lines(Path.of("/proc/self/maps"))) {
                    mappings = lines.count();
                }
                long rss = -1;
                for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (line.startsWith("VmRSS:")) {
                        rss = Long.parseLong(line.substring(6).replace("kB", "").strip());
                    }
                }
                return new Process(mappings, rss);
            } catch (IOException e) {
                // No procfs (macOS, Windows): the allocator's own figures still decide.
                return new Process(-1, -1);
            }
        }

        /**
         * Waits up to five seconds for the figures to come back: deallocated regions with shared views
         * (linear memories) wait in the view quarantine for about a second before their unmap.
         */
        static Process settle(SoakWorkload workload, Process start) {
            Process now = read(workload);
            for (int i = 0; i < 50 && (now.mappings - start.mappings > MAPPING_TOLERANCE
                    || now.rssKib - start.rssKib > Math.max(RSS_TOLERANCE_KIB, start.rssKib / 10)); i++) {
                System.gc();
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                now = read(workload);
            }
            return now;
        }
    }
}
