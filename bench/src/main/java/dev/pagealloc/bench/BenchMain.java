package dev.pagealloc.bench;

import com.sun.jna.Native;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the C baseline and the JMH benchmarks of this package, then prints one markdown table of
 * medians and ratios (see {@link ReportTable}).
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -jar pagealloc-bench.jar [--quick] [--only REGEX] [--no-c]
 *      [--details] [--output FILE]
 * </pre>
 *
 * <p>The default run takes about seven minutes: each benchmark in 3 forks of 5 warm-up and 4
 * measured iterations of half a second (12 samples from 3 JVMs, so that a burst of load elsewhere
 * moves few of them), the C baseline in 9 repetitions. {@code --quick} is a smoke run
 * of a minute or two whose figures are only indicative.
 */
public final class BenchMain {
    private static final String PACKAGE_PATTERN = "^" + BenchMain.class.getPackageName().replace(".", "\\.") + "\\.";
    private static final String USAGE = """
            usage: pagealloc-bench [--quick] [--only REGEX] [--no-c] [--details] [--output FILE]
              --quick        1 fork, 2 warm-up and 3 measured iterations of 200 ms; a short C baseline
              --only REGEX   run only the benchmarks whose Class.method matches REGEX (e.g. 'Grow|Binding')
              --no-c         skip the C baseline (its column stays empty)
              --details      also print every measured series (median, min, max, count)
              --output FILE  also write the report to FILE
            """;

    private BenchMain() {}

    /** The command line, parsed. */
    record Arguments(boolean quick, String only, boolean skipC, boolean details, Path output) {
        static Arguments parse(String... args) {
            boolean quick = false;
            boolean skipC = false;
            boolean details = false;
            String only = null;
            Path output = null;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--quick" -> quick = true;
                    case "--no-c" -> skipC = true;
                    case "--details" -> details = true;
                    case "--only" -> only = value(args, ++i, "--only");
                    case "--output" -> output = Path.of(value(args, ++i, "--output"));
                    default -> throw new IllegalArgumentException("unknown argument \"" + args[i] + "\"\n" + USAGE);
                }
            }
            return new Arguments(quick, only, skipC, details, output);
        }

        private static String value(String[] args, int index, String option) {
            if (index >= args.length) {
                throw new IllegalArgumentException(option + " needs a value\n" + USAGE);
            }
            return args[index];
        }
    }

    /**
     * Runs the benchmarks and prints the report.
     *
     * @param args see the class comment; {@code --help} prints the usage
     * @throws RunnerException if JMH cannot run at all
     * @throws IOException if {@code --output} cannot be written
     */
    public static void main(String[] args) throws RunnerException, IOException {
        if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
            System.out.print(USAGE);
            return;
        }
        Arguments arguments;
        try {
            arguments = Arguments.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        PrintStream out = System.out;
        Results results = new Results();
        List<String> notes = new ArrayList<>();

        CBaseline.Outcome c;
        if (arguments.skipC()) {
            c = CBaseline.Outcome.failed("skipped (--no-c)");
        } else {
            out.println("# C baseline: building with gcc -O2 and running...");
            c = arguments.quick() ? CBaseline.run(3, 20) : CBaseline.run(9, 100);
        }
        c.samples().forEach((operation, samples) -> results.put(Results.cKey(operation), samples));
        c.problem().ifPresent(problem -> notes.add("C baseline: " + problem));

        Collection<RunResult> runs = new Runner(jmhOptions(arguments)).run();
        for (RunResult run : runs) {
            results.put(key(run.getParams()), scores(run));
        }

        String report = report(arguments, results, c, notes);
        out.println();
        out.print(report);
        if (arguments.output() != null) {
            Files.writeString(arguments.output(), report, StandardCharsets.UTF_8);
        }
    }

    private static org.openjdk.jmh.runner.options.Options jmhOptions(Arguments arguments) {
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include(arguments.only() == null ? PACKAGE_PATTERN : PACKAGE_PATTERN + ".*(" + arguments.only() + ")")
                .shouldFailOnError(false);
        if (arguments.quick()) {
            options.forks(1)
                    .warmupIterations(2).warmupTime(TimeValue.milliseconds(200))
                    .measurementIterations(3).measurementTime(TimeValue.milliseconds(200));
        }
        return options.build();
    }

    /** {@return the {@link Results} key of a JMH benchmark: simple class name, method, parameters} */
    static String key(BenchmarkParams params) {
        String[] parts = params.getBenchmark().split("\\.");
        String name = parts[parts.length - 2] + "." + parts[parts.length - 1];
        List<String> keys = new ArrayList<>(params.getParamsKeys());
        keys.sort(null);
        if (keys.isEmpty()) {
            return name;
        }
        return name + keys.stream().map(k -> k + "=" + params.getParam(k)).collect(Collectors.joining(",", "[", "]"));
    }

    private static double[] scores(RunResult run) {
        List<Double> scores = new ArrayList<>();
        for (BenchmarkResult fork : run.getBenchmarkResults()) {
            for (IterationResult iteration : fork.getIterationResults()) {
                if (!"ns/op".equals(iteration.getScoreUnit())) {
                    throw new IllegalStateException(run.getParams().getBenchmark() + ": score unit "
                            + iteration.getScoreUnit() + ", expected ns/op");
                }
                scores.add(iteration.getPrimaryResult().getScore());
            }
        }
        return scores.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static String report(Arguments arguments, Results results, CBaseline.Outcome c, List<String> notes) {
        StringBuilder report = new StringBuilder();
        report.append("## pagealloc benchmarks").append(arguments.quick() ? " (--quick: indicative only)" : "")
                .append("\n\n");
        report.append(String.format(Locale.ROOT, "JDK %s, %s %s %s, %d CPUs, JNA %s, %s.%n", Runtime.version(),
                System.getProperty("os.name"), System.getProperty("os.version"), System.getProperty("os.arch"),
                Runtime.getRuntime().availableProcessors(), Native.VERSION, c.compiler().orElse("no C compiler used")));
        report.append("Ours: provider \"").append(Allocators.PLATFORM).append("\", ")
                .append(Allocators.SYSTEM_PAGE_BYTES).append("-byte logical pages, no guard pages (like for like "
                + "with raw"
                + " mmap). Medians of every measured iteration (JMH) or repetition (C), in ns/op.\n\n");
        report.append(ReportTable.render(results));
        String access = AccessReport.render(results);
        report.append(access.isEmpty() ? "" : "\n" + access);
        String chicory = ChicoryReport.render(results);
        if (!chicory.isEmpty()) {
            report.append("\n").append(chicory);
        }
        for (String note : notes) {
            report.append("\n").append(note).append("\n");
        }
        if (arguments.details()) {
            report.append("\n| series | median | min | max | samples |\n|---|--:|--:|--:|--:|\n");
            Map<String, double[]> sorted = new TreeMap<>(results.samples());
            sorted.forEach((key, samples) -> report.append("| ").append(key).append(" | ")
                    .append(ReportTable.nanos(Results.median(samples))).append(" | ")
                    .append(ReportTable.nanos(java.util.Arrays.stream(samples).min().orElseThrow())).append(" | ")
                    .append(ReportTable.nanos(java.util.Arrays.stream(samples).max().orElseThrow())).append(" | ")
                    .append(samples.length).append(" |\n"));
        }
        return report.toString();
    }
}
