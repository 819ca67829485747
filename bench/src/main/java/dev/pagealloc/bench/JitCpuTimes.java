package dev.pagealloc.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A cross-check of the JIT benchmarks on a shared machine: the same benchmark methods
 * ({@link JitInstallBenchmark}, {@link JitPatchBenchmark}, {@link JitCallBenchmark}) run in plain loops,
 * timed by the thread's CPU time ({@code ThreadMXBean.getCurrentThreadCpuTime}: user and system time of
 * this thread) instead of the wall clock. JMH's wall-clock scores include the time other processes hold
 * the CPU, which on a loaded machine inflates them several times and varies from run to run; CPU time
 * leaves that out (caches shared with the other processes still count). Not a replacement for the JMH
 * runs: no forks, no blackholes, dead-code elimination only prevented by summing results.
 *
 * <p>Usage: {@code java --enable-native-access=ALL-UNNAMED -cp pagealloc-bench.jar
 * dev.pagealloc.bench.JitCpuTimes [rounds]}; prints the median CPU ns per operation of each method over
 * the rounds (default 7), after two warm-up rounds. Single-threaded; not thread-safe.
 */
public final class JitCpuTimes {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static long sink;

    private JitCpuTimes() {}

    /** One timed operation. */
    @FunctionalInterface
    private interface Operation {
        long run() throws Throwable;
    }

    /**
     * Runs every method and prints the table.
     *
     * @param args optionally the number of measured rounds
     * @throws Throwable if a benchmark method fails
     */
    public static void main(String[] args) throws Throwable {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        JitInstallBenchmark install = new JitInstallBenchmark();
        install.setUp();
        JitPatchBenchmark patch = new JitPatchBenchmark();
        patch.setUp();
        JitCallBenchmark call = new JitCallBenchmark();
        Map<String, Operation> operations = new LinkedHashMap<>();
        operations.put("JitInstallBenchmark.heapDual", install::heapDual);
        operations.put("JitInstallBenchmark.heapDualLinkPerFunction", install::heapDualLinkPerFunction);
        operations.put("JitInstallBenchmark.heapFlip", install::heapFlip);
        operations.put("JitInstallBenchmark.bufferDual", install::bufferDual);
        operations.put("JitInstallBenchmark.bufferFlip", install::bufferFlip);
        operations.put("JitPatchBenchmark.dualMapping", patch::dualMapping);
        operations.put("JitPatchBenchmark.protectionFlip", patch::protectionFlip);
        operations.put("JitCallBenchmark.javaStatic", call::javaStatic);
        operations.put("JitCallBenchmark.generated", call::generated);
        operations.put("JitCallBenchmark.generatedCritical", call::generatedCritical);
        operations.put("JitCallBenchmark.generatedFromField", call::generatedFromField);
        operations.put("JitCallBenchmark.libcLabs", call::libcLabs);
        operations.put("JitCallBenchmark.libcLabsCritical", call::libcLabsCritical);
        System.out.println("| method | median CPU ns/op | min | max |");
        System.out.println("|---|--:|--:|--:|");
        for (Map.Entry<String, Operation> e : operations.entrySet()) {
            boolean cheap = e.getKey().startsWith("JitCallBenchmark");
            int count = cheap ? 2_000_000 : e.getKey().contains("buffer") ? 2_000 : 20_000;
            double[] scores = measure(e.getValue(), count, rounds);
            System.out.printf(Locale.ROOT, "| %s | %,.1f | %,.1f | %,.1f |%n", e.getKey(), median(scores), scores[0],
                    scores[scores.length - 1]);
        }
        install.tearDown();
        patch.tearDown();
        if (sink == 42) {
            System.out.println();
        }
    }

    private static double[] measure(Operation operation, int count, int rounds) throws Throwable {
        List<Double> scores = new ArrayList<>();
        for (int round = -2; round < rounds; round++) {
            long start = THREADS.getCurrentThreadCpuTime();
            long sum = 0;
            for (int i = 0; i < count; i++) {
                sum += operation.run();
            }
            long cpu = THREADS.getCurrentThreadCpuTime() - start;
            sink += sum;
            if (round >= 0) {
                scores.add((double) cpu / count);
            }
        }
        double[] sorted = scores.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(sorted);
        return sorted;
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
