package dev.pagealloc.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code pagealloc startup [--runs N] [--wall-only] [--aot FILE] [-- JVM options]}: the cold-start cost of
 * pagealloc,
 * measured in N fresh JVMs started exactly as this one was (same {@code java}, module path and JVM
 * options, so the launcher's {@code --enable-native-access} list and {@code PAGEALLOC_JAVA_OPTS} apply),
 * each running {@link StartupProbe} once: the first {@code build()} and the first
 * {@code allocate(1, 4).close()}, wall and main-thread CPU time, and the classes each phase loads
 * ({@code -Xlog:class+load}). Prints the median, minimum and maximum of each over the runs.
 *
 * <p>Options after {@code --} go to the children only, e.g. {@code -- -Xint}. {@code --aot FILE} first
 * records the JDK's AOT cache (JEP 483, 514, 515) in one training child ({@code -XX:AOTCacheOutput=FILE},
 * which runs the same probe), then measures children started from it ({@code -XX:AOTCache=FILE}).
 */
final class StartupCommand {
    private static final String PROBE = "dev.pagealloc.cli.StartupProbe";

    private StartupCommand() {}

    static int run(List<String> args, PrintStream out, PrintStream err) {
        int runs = 11;
        boolean wallOnly = false;
        String aotCache = null;
        List<String> childOptions = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--runs") && i + 1 < args.size()) {
                runs = Integer.parseInt(args.get(++i));
            } else if (arg.equals("--wall-only")) {
                wallOnly = true;
            } else if (arg.equals("--aot") && i + 1 < args.size()) {
                aotCache = Path.of(args.get(++i)).toAbsolutePath().toString();
            } else if (arg.equals("--")) {
                childOptions.addAll(args.subList(i + 1, args.size()));
                break;
            } else {
                err.println("pagealloc startup: unknown option '" + arg
                        + "' (--runs N, --wall-only, --aot FILE, -- JVM options)");
                return 2;
            }
        }
        if (runs < 1) {
            err.println("pagealloc startup: --runs " + runs + ": must be at least 1");
            return 2;
        }
        long[][] samples = new long[8][runs];
        Path log;
        try {
            log = Files.createTempFile("pagealloc-startup", ".log");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            if (aotCache != null) {
                List<String> training = new ArrayList<>(childOptions);
                training.add("-XX:AOTCacheOutput=" + aotCache);
                training.add("-Xlog:aot*=error");
                run(command(log, wallOnly, training)); // prints the JDK's own training report; not a sample
                childOptions.add("-XX:AOTCache=" + aotCache);
            }
            for (int run = 0; run < runs; run++) {
                long[] sample = measureOnce(command(log, wallOnly, childOptions), log);
                for (int column = 0; column < sample.length; column++) {
                    samples[column][run] = sample[column];
                }
            }
        } finally {
            try {
                Files.deleteIfExists(log);
            } catch (IOException ignored) {
                // a temporary file left behind is harmless
            }
        }
        out.println("pagealloc startup: " + runs + " fresh JVMs, " + Runtime.getRuntime().availableProcessors()
                + " CPUs, load average " + ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()
                + (childOptions.isEmpty() ? "" : ", child options " + childOptions));
        out.printf("%-40s %10s %10s %10s%n", "", "median", "min", "max");
        row(out, "first build()            wall ms", samples[0], true);
        if (!wallOnly) {
            row(out, "first build()            CPU ms", samples[1], true);
        }
        row(out, "first allocate(1,4)+close wall ms", samples[2], true);
        if (!wallOnly) {
            row(out, "first allocate(1,4)+close CPU ms", samples[3], true);
        }
        row(out, "whole child JVM, start to exit wall ms", samples[7], true);
        row(out, "classes loaded before build()", samples[4], false);
        row(out, "classes loaded by build()", samples[5], false);
        row(out, "classes loaded by allocate+close", samples[6], false);
        return 0;
    }

    private static List<String> command(Path log, boolean wallOnly, List<String> childOptions) {
        String java = ProcessHandle.current().info().command()
                .orElseThrow(() -> new IllegalStateException("startup: cannot find this JVM's java command"));
        List<String> command = new ArrayList<>();
        command.add(java);
        for (String option : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // The module path and main module are given below; this JVM's logging and AOT training are not
            // copied (a cache it uses is, so that the children start as it did).
            if (!option.startsWith("-Djdk.module.") && !option.startsWith("--module-path")
                    && !option.startsWith("-Xlog")
                    && !option.startsWith("-XX:AOTCacheOutput") && !option.startsWith("-XX:AOTMode")
                    && !option.startsWith("-XX:AOTConfiguration")) {
                command.add(option);
            }
        }
        command.addAll(childOptions);
        command.add("-Xlog:class+load=info:file=" + log);
        command.add("--module-path");
        command.add(System.getProperty("jdk.module.path"));
        command.add("--module");
        command.add("dev.pagealloc.cli/" + PROBE);
        if (wallOnly) {
            command.add("--wall-only");
        }
        return command;
    }

    /**
     * {@return build wall, build CPU, allocate wall, allocate CPU (ns), the class counts of the three phases,
     * and the child's whole life (ns), from starting its process to its exit: JVM start-up included, which
     * an AOT cache moves class loading into}
     */
    private static long[] measureOnce(List<String> command, Path log) {
        long started = System.nanoTime();
        String output = run(command);
        long lived = System.nanoTime() - started;
        String[] lines = output.split("\n");
        String[] fields = lines[lines.length - 1].trim().split(" ");
        if (fields.length != 4) {
            throw new IllegalStateException("startup: the child JVM (" + String.join(" ", command) + ") printed no"
                    + " sample: " + output);
        }
        long[] sample = new long[8];
        sample[7] = lived;
        for (int i = 0; i < 4; i++) {
            sample[i] = Long.parseLong(fields[i]);
        }
        long[] counts = classCounts(log);
        System.arraycopy(counts, 0, sample, 4, 3);
        return sample;
    }

    /** {@return what the child printed, stdout and stderr together}, after it exited with status 0 */
    private static String run(List<String> command) {
        String output;
        int status;
        try {
            Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
            output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            status = child.waitFor();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("startup: interrupted", e);
        }
        if (status != 0) {
            throw new IllegalStateException("startup: the child JVM (" + String.join(" ", command) + ") exited with "
                    + status + ": " + output);
        }
        return output;
    }

    /** Classes loaded before the build marker, between it and the allocate marker, and up to the end marker. */
    private static long[] classCounts(Path log) {
        List<String> lines;
        try {
            lines = Files.readAllLines(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long[] counts = new long[3];
        int phase = 0;
        for (String line : lines) {
            if (line.contains(PROBE + "$BuildStarts ")) {
                phase = 1;
            } else if (line.contains(PROBE + "$AllocateStarts ")) {
                phase = 2;
            } else if (line.contains(PROBE + "$AllocateEnded ")) {
                break;
            } else if (line.contains("[class,load]")) {
                counts[phase]++;
            }
        }
        return counts;
    }

    private static void row(PrintStream out, String name, long[] values, boolean nanos) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        long median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
        if (nanos) {
            out.printf("%-40s %10.1f %10.1f %10.1f%n", name, median / 1e6, sorted[0] / 1e6,
                    sorted[sorted.length - 1] / 1e6);
        } else {
            out.printf("%-40s %10d %10d %10d%n", name, median, sorted[0], sorted[sorted.length - 1]);
        }
    }
}
