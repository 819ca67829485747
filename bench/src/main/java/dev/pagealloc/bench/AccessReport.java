package dev.pagealloc.bench;

import static dev.pagealloc.bench.Results.key;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * The table of {@link LinearMemoryAccessBenchmark}: per access pattern and width, the raw segment's
 * time and every peer's ratio to it, with issue 8's target (ours within 1.05x of raw). Empty when the
 * benchmark did not run. Stateless and thread-safe.
 */
final class AccessReport {
    static final double TARGET = 1.05;
    private static final String[] PEERS = {"ours", "byteArrayMemory", "byteBufferMemory"};

    private AccessReport() {}

    /**
     * {@return the markdown table, or an empty string when nothing of it was measured}
     *
     * @param results the medians of a run
     */
    static String render(Results results) {
        List<String> lines = new ArrayList<>();
        boolean measured = false;
        lines.add("| host-side load+store (LinearMemoryAccessBenchmark) | raw ns/access | ours ns/access | ours/raw "
                + "| ByteArrayMemory/raw | ByteBufferMemory/raw | target | met |");
        lines.add("|---|--:|--:|--:|--:|--:|---|---|");
        for (String pattern : new String[] {"sequential", "random"}) {
            for (String width : new String[] {"I32", "I64"}) {
                OptionalDouble raw = median(results, "raw" + width, pattern);
                OptionalDouble ours = median(results, "ours" + width, pattern);
                measured |= raw.isPresent() || ours.isPresent();
                List<String> cells = new ArrayList<>(List.of(pattern + " " + width.toLowerCase(Locale.ROOT),
                        cell(raw), cell(ours)));
                for (String peer : PEERS) {
                    cells.add(ratio(median(results, peer + width, pattern), raw));
                }
                OptionalDouble oursRatio = divide(ours, raw);
                cells.add("ours/raw <= " + TARGET);
                cells.add(oursRatio.isEmpty() ? ReportTable.NOT_MEASURED
                        : oursRatio.getAsDouble() <= TARGET ? "yes" : "**NO**");
                lines.add("| " + String.join(" | ", cells) + " |");
            }
        }
        return measured ? String.join("\n", lines) + "\n" : "";
    }

    private static OptionalDouble median(Results results, String method, String pattern) {
        return results.median(key(LinearMemoryAccessBenchmark.class, method, "pattern=" + pattern));
    }

    private static OptionalDouble divide(OptionalDouble top, OptionalDouble bottom) {
        return top.isEmpty() || bottom.isEmpty() || bottom.getAsDouble() <= 0 ? OptionalDouble.empty()
                : OptionalDouble.of(top.getAsDouble() / bottom.getAsDouble());
    }

    private static String cell(OptionalDouble nanos) {
        return nanos.isPresent() ? ReportTable.nanos(nanos.getAsDouble()) : ReportTable.NOT_MEASURED;
    }

    private static String ratio(OptionalDouble top, OptionalDouble bottom) {
        OptionalDouble value = divide(top, bottom);
        return value.isPresent() ? ReportTable.ratio(value.getAsDouble()) : ReportTable.NOT_MEASURED;
    }
}
