package dev.pagealloc.bench;

import static dev.pagealloc.bench.Results.key;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/**
 * The Chicory rows of a run's report: each program under Chicory's compiler on pagealloc's memory against
 * Chicory's {@code ByteArrayMemory} and {@code ByteBufferMemory} (issue 9's target: ours/ByteArrayMemory
 * at most 1.0, aim 0.8), and instantiation with 16 MiB of data. Benchmarks not run show as {@code n/a}.
 *
 * <p>Stateless and thread-safe.
 */
final class ChicoryReport {

    private ChicoryReport() {}

    /**
     * {@return the markdown tables of the Chicory benchmarks in {@code results}, or an empty string when none
     * ran}
     *
     * @param results the medians of a run
     */
    static String render(Results results) {
        List<String> lines = new ArrayList<>();
        lines.add("| Chicory compiler, program | ours ns/op | ByteArrayMemory ns/op | ByteBufferMemory ns/op "
                + "| ours/ByteArray | ours/ByteBuffer | target | met |");
        lines.add("|---|--:|--:|--:|--:|--:|---|---|");
        boolean any = false;
        for (String program : List.of("sieve", "hash", "sort")) {
            String ours = programKey(program, "pagealloc");
            String array = programKey(program, "bytearray");
            String buffer = programKey(program, "bytebuffer");
            any |= results.median(ours).isPresent() || results.median(array).isPresent();
            OptionalDouble vsArray = ratio(results, ours, array);
            lines.add("| " + String.join(" | ", program, nanos(results, ours),
                    nanos(results, array), nanos(results, buffer), cell(vsArray),
                    cell(ratio(results, ours, buffer)), "ours/ByteArray <= 1.0 (aim 0.8)",
                    vsArray.isEmpty() ? ReportTable.NOT_MEASURED : vsArray.getAsDouble() <= 1.0 ? "yes" : "**NO**")
                    + " |");
        }
        lines.add("");
        lines.add("| instantiate + release, 16 MiB data | ns/op | /Chicory's default |");
        lines.add("|---|--:|--:|");
        String chicoryDefault = key(ChicoryInstantiationBenchmark.class, "instantiate", "memory=chicoryDefault");
        for (String memory : List.of("chicoryDefault", "bytearray", "pagealloc", "poolImage")) {
            String k = key(ChicoryInstantiationBenchmark.class, "instantiate", "memory=" + memory);
            any |= results.median(k).isPresent();
            lines.add("| " + memory + " | " + nanos(results, k) + " | "
                    + cell(ratio(results, k, chicoryDefault)) + " |");
        }
        return any ? String.join("\n", lines) + "\n" : "";
    }

    private static String nanos(Results results, String key) {
        OptionalDouble value = results.median(key);
        return value.isPresent() ? ReportTable.nanos(value.getAsDouble()) : ReportTable.NOT_MEASURED;
    }

    private static String programKey(String program, String memory) {
        return key(ChicoryProgramBenchmark.class, "run", "memory=" + memory, "program=" + program);
    }

    private static OptionalDouble ratio(Results results, String top, String bottom) {
        OptionalDouble t = results.median(top);
        OptionalDouble b = results.median(bottom);
        return t.isPresent() && b.isPresent() && b.getAsDouble() > 0
                ? OptionalDouble.of(t.getAsDouble() / b.getAsDouble()) : OptionalDouble.empty();
    }

    private static String cell(OptionalDouble ratio) {
        return ratio.isPresent() ? String.format(java.util.Locale.ROOT, "%.2fx", ratio.getAsDouble())
                : ReportTable.NOT_MEASURED;
    }
}
