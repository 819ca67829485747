package dev.pagealloc.bench;

import static dev.pagealloc.bench.Results.cKey;
import static dev.pagealloc.bench.Results.key;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.function.Function;

/**
 * Turns {@link Results} into the one markdown table of a run: each operation through ours, raw
 * FFM, JNA and C, the ratios, and whether each target of issue #2 is met. A value that was not
 * measured (a benchmark filtered out, no {@code gcc}) shows as {@code n/a}, never as a number.
 *
 * <p>Stateless and thread-safe.
 */
final class ReportTable {
    static final String NOT_MEASURED = "n/a";

    /** A target: a measure computed from the results and the largest value that meets it. */
    record Target(String rule, Function<Results, OptionalDouble> measure, double limit) {
        String cell(Results results) {
            OptionalDouble value = measure.apply(results);
            return rule + (value.isPresent() ? " (" + ratio(value.getAsDouble()) + ")" : "");
        }

        String met(Results results) {
            OptionalDouble value = measure.apply(results);
            return value.isEmpty() ? NOT_MEASURED : value.getAsDouble() <= limit ? "yes" : "**NO**";
        }
    }

    /** One line of the table; a null key means the column does not apply, a null target none. */
    record Row(String operation, String ours, String raw, String jna, String c, Target target) {}

    static final String CYCLE_OURS = key(CycleBenchmark.class, "ours");
    static final String GROW_1MIB_OURS = key(GrowBenchmark.class, "ours", "regionBytes=1MiB");
    static final String GROW_1GIB_OURS = key(GrowBenchmark.class, "ours", "regionBytes=1GiB");
    static final String LABS_OURS = key(BindingBenchmark.class, "ffm");
    static final String LABS_OURS_ERRNO = key(BindingBenchmark.class, "ffmCaptureErrno");
    static final String LABS_JNA = key(BindingBenchmark.class, "jna");
    static final String LABS_C = cKey("labs");

    /** The rows of the report, in order. */
    static final List<Row> ROWS = List.of(
            new Row("allocate(1 page) + write + deallocate", CYCLE_OURS, key(CycleBenchmark.class, "rawFfm"),
                    key(CycleBenchmark.class, "jna"), cKey("cycle"),
                    new Target("ours/C <= 1.5", r -> ratio(r, CYCLE_OURS, cKey("cycle")), 1.5)),
            growRow("1MiB", "1 MiB", null),
            growRow("1GiB", "1 GiB", new Target("ours <= 1.2 x ours at 1 MiB",
                    r -> ratio(r, GROW_1GIB_OURS, GROW_1MIB_OURS), 1.2)),
            new Row("protect flip, 1 written page", key(ProtectBenchmark.class, "ours"),
                    key(ProtectBenchmark.class, "rawFfm"), key(ProtectBenchmark.class, "jna"), cKey("protect_flip"),
                    null),
            new Row("labs() call, no system call: FFM downcall", LABS_OURS, null, LABS_JNA, LABS_C,
                    bindingTarget(LABS_OURS)),
            new Row("labs() call: FFM critical(false)", key(BindingBenchmark.class, "ffmCritical"), null, LABS_JNA,
                    LABS_C, null),
            new Row("labs() call: FFM capturing errno per thread (as our system calls)", LABS_OURS_ERRNO, null,
                    LABS_JNA, LABS_C, bindingTarget(LABS_OURS_ERRNO)),
            deallocateRow("oursConfined", "CONFINED", 0),
            deallocateRow("oursShared", "SHARED (batches of 64)", 0),
            deallocateRow("oursSharedClosedAtOnce", "SHARED (closed at once)", 0),
            burstRow(0),
            deallocateRow("oursConfined", "CONFINED", 2),
            deallocateRow("oursShared", "SHARED (batches of 64)", 2),
            deallocateRow("oursSharedClosedAtOnce", "SHARED (closed at once)", 2),
            burstRow(2));

    private static Row growRow(String param, String label, Target target) {
        String p = "regionBytes=" + param;
        return new Row("grow by 1 page, " + label + " region", key(GrowBenchmark.class, "ours", p),
                key(GrowBenchmark.class, "rawFfm", p), key(GrowBenchmark.class, "jna", p), cKey("grow_" + param),
                target);
    }

    private static Target bindingTarget(String oursKey) {
        return new Target("(ours-C)/(JNA-C) <= 0.2", r -> bindingOverheadRatio(r, oursKey), 0.2);
    }

    private static Row deallocateRow(String method, String sharing, int busyThreads) {
        String p = "busyThreads=" + busyThreads;
        return new Row("deallocate " + sharing + " region with a view vs munmap, " + busyThreads + " busy threads",
                key(DeallocateBenchmark.class, method, p), key(DeallocateBenchmark.class, "rawFfm", p),
                key(DeallocateBenchmark.class, "jna", p), cKey("munmap_busy" + busyThreads),
                method.equals("oursShared")
                        ? munmapTarget(key(DeallocateBenchmark.class, method, p), busyThreads)
                        : null);
    }

    /** Issue 7's target for shared views: invalidation, amortized, at most twice a bare {@code munmap}. */
    private static Target munmapTarget(String oursKey, int busyThreads) {
        return new Target("ours/C <= 2", r -> ratio(r, oursKey, cKey("munmap_busy" + busyThreads)), 2);
    }

    private static Row burstRow(int busyThreads) {
        String p = "busyThreads=" + busyThreads;
        return new Row("deallocate " + DeallocateBenchmark.BURST
                + " live SHARED regions in a burst, per region, vs munmap, " + busyThreads + " busy threads",
                key(DeallocateBenchmark.class, "oursSharedBurst", p),
                key(DeallocateBenchmark.class, "rawFfmBurst", p), null, cKey("munmap_busy" + busyThreads),
                munmapTarget(key(DeallocateBenchmark.class, "oursSharedBurst", p), busyThreads));
    }

    private ReportTable() {}

    /**
     * {@return the markdown table of {@code results}, then notes on the C floor, one per line}
     *
     * @param results the medians of a run
     */
    static String render(Results results) {
        List<String> lines = new ArrayList<>();
        lines.add("| operation | ours ns/op | raw FFM ns/op | JNA ns/op | C ns/op | ours/raw FFM | ours/C | ours/JNA "
                + "| target | met |");
        lines.add("|---|--:|--:|--:|--:|--:|--:|--:|---|---|");
        for (Row row : ROWS) {
            lines.add("| " + String.join(" | ",
                    row.operation(),
                    nanos(results, row.ours()),
                    nanos(results, row.raw()),
                    nanos(results, row.jna()),
                    nanos(results, row.c()),
                    ratioCell(results, row.ours(), row.raw()),
                    ratioCell(results, row.ours(), row.c()),
                    ratioCell(results, row.ours(), row.jna()),
                    row.target() == null ? "" : row.target().cell(results),
                    row.target() == null ? "" : row.target().met(results)) + " |");
        }
        OptionalDouble mmapReadWrite = results.median(cKey("cycle_mmap_rw"));
        OptionalDouble cycle = results.median(CYCLE_OURS);
        if (mmapReadWrite.isPresent()) {
            lines.add("");
            lines.add("C floor of a writable page in one call, mmap(RW) + write + munmap: "
                    + nanos(mmapReadWrite.getAsDouble()) + " ns/op"
                    + (cycle.isPresent() ? "; ours/that = " + ratio(cycle.getAsDouble() / mmapReadWrite.getAsDouble())
                    : ""));
        }
        return String.join("\n", lines) + "\n";
    }

    private static OptionalDouble ratio(Results results, String numerator, String denominator) {
        OptionalDouble top = numerator == null ? OptionalDouble.empty() : results.median(numerator);
        OptionalDouble bottom = denominator == null ? OptionalDouble.empty() : results.median(denominator);
        if (top.isEmpty() || bottom.isEmpty() || bottom.getAsDouble() <= 0) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(top.getAsDouble() / bottom.getAsDouble());
    }

    /**
     * {@return the binding overhead of ours over that of JNA}: each call's time minus the time of
     * the same call from C; without a C figure, the plain ratio of the call times (an upper bound)
     *
     * @param results the medians
     * @param oursKey the key of our call
     */
    static OptionalDouble bindingOverheadRatio(Results results, String oursKey) {
        OptionalDouble ours = results.median(oursKey);
        OptionalDouble jna = results.median(LABS_JNA);
        if (ours.isEmpty() || jna.isEmpty()) {
            return OptionalDouble.empty();
        }
        double c = results.median(LABS_C).orElse(0);
        double jnaOverhead = jna.getAsDouble() - c;
        if (jnaOverhead <= 0) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(Math.max(0, ours.getAsDouble() - c) / jnaOverhead);
    }

    private static String ratioCell(Results results, String numerator, String denominator) {
        if (denominator == null) {
            return "";
        }
        OptionalDouble value = ratio(results, numerator, denominator);
        return value.isPresent() ? ratio(value.getAsDouble()) : NOT_MEASURED;
    }

    private static String nanos(Results results, String key) {
        if (key == null) {
            return "";
        }
        OptionalDouble value = results.median(key);
        return value.isPresent() ? nanos(value.getAsDouble()) : NOT_MEASURED;
    }

    /** {@return {@code nanos} with about three significant digits, thousands separated} */
    static String nanos(double nanos) {
        if (nanos >= 100) {
            return String.format(Locale.ROOT, "%,.0f", nanos);
        }
        return String.format(Locale.ROOT, nanos >= 10 ? "%.1f" : "%.2f", nanos);
    }

    /** {@return {@code value} as a ratio, two decimals and an {@code x}} */
    static String ratio(double value) {
        return String.format(Locale.ROOT, "%.2fx", value);
    }
}
