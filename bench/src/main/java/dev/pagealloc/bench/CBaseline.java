package dev.pagealloc.bench;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The C baseline: extracts {@code pagealloc_bench.c}, builds it with the machine's {@code gcc -O2}
 * in a fresh temporary directory, runs it, and parses its ns/op per operation and repetition. No
 * compiler means no C figures, said as such, never estimated ones.
 *
 * <p>Stateless and thread-safe.
 */
final class CBaseline {
    static final String SOURCE_RESOURCE = "pagealloc_bench.c";
    private static final long COMPILE_TIMEOUT_SECONDS = 120;
    private static final long RUN_TIMEOUT_SECONDS = 900;

    /**
     * What a run gave: the samples per operation (ns/op, one per repetition), or why there are none.
     *
     * @param samples operation name to ns/op per repetition; empty if the baseline did not run
     * @param compiler the first line of {@code gcc --version}, or empty
     * @param problem why the baseline did not run, or empty
     */
    record Outcome(Map<String, double[]> samples, Optional<String> compiler, Optional<String> problem) {
        static Outcome failed(String problem) {
            return new Outcome(Map.of(), Optional.empty(), Optional.of(problem));
        }
    }

    private CBaseline() {}

    /** {@return the {@code gcc} on the {@code PATH}, if any} */
    static Optional<Path> findGcc() {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, "gcc");
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /**
     * Builds and runs the baseline.
     *
     * @param repetitions measured repetitions of each operation; {@code >= 1}
     * @param scalePercent the share of the default iteration counts to run, in percent; {@code >= 1}
     * @return the samples, or the reason there are none (no gcc, a failed build or run)
     */
    static Outcome run(int repetitions, int scalePercent) {
        Optional<Path> gcc = findGcc();
        if (gcc.isEmpty()) {
            return Outcome.failed("no gcc on the PATH: the C column is empty");
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory("pagealloc-bench-c");
            Path source = dir.resolve(SOURCE_RESOURCE);
            try (InputStream in = CBaseline.class.getResourceAsStream(SOURCE_RESOURCE)) {
                if (in == null) {
                    return Outcome.failed("resource " + SOURCE_RESOURCE + " is missing from the class path");
                }
                Files.copy(in, source, StandardCopyOption.REPLACE_EXISTING);
            }
            String version = exec(List.of(gcc.get().toString(), "--version"), dir, COMPILE_TIMEOUT_SECONDS).lines()
                    .findFirst().orElse("gcc");
            Path binary = dir.resolve("pagealloc_bench");
            exec(List.of(gcc.get().toString(), "-O2", "-fno-builtin", "-pthread", "-o", binary.toString(),
                    source.toString()), dir, COMPILE_TIMEOUT_SECONDS);
            String output =
                    exec(List.of(binary.toString(), Integer.toString(repetitions), Integer.toString(scalePercent)),
                    dir, RUN_TIMEOUT_SECONDS);
            return new Outcome(parse(output), Optional.of(version), Optional.empty());
        } catch (IOException | IllegalStateException e) {
            return Outcome.failed("C baseline failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Outcome.failed("C baseline interrupted");
        } finally {
            deleteQuietly(dir);
        }
    }

    /**
     * {@return the samples in the baseline's output}: lines {@code name ns ns ...}; lines starting
     * with {@code #} are comments
     *
     * @param output the program's standard output
     * @throws IllegalStateException if a line is not of that form
     */
    static Map<String, double[]> parse(String output) {
        Map<String, double[]> samples = new LinkedHashMap<>();
        for (String line : output.lines().map(String::strip).toList()) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split("\\s+");
            if (fields.length < 2) {
                throw new IllegalStateException("unexpected C baseline line \"" + line
                        + "\": expected a name and samples");
            }
            double[] values = new double[fields.length - 1];
            for (int i = 1; i < fields.length; i++) {
                try {
                    values[i - 1] = Double.parseDouble(fields[i]);
                } catch (NumberFormatException e) {
                    throw new IllegalStateException("unexpected C baseline line \"" + line + "\": " + e.getMessage(),
                            e);
                }
            }
            samples.put(fields[0], values);
        }
        return samples;
    }

    private static String exec(List<String> command, Path dir, long timeoutSeconds) throws IOException,
            InterruptedException {
        Path out = dir.resolve("stdout.txt");
        Path err = dir.resolve("stderr.txt");
        Process process = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        process.getOutputStream().close();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + ": timed out after " + timeoutSeconds + " s");
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + ": exit status " + process.exitValue() + ": "
                    + Files.readString(err, StandardCharsets.UTF_8).strip());
        }
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            List<Path> all = new ArrayList<>(paths.sorted(Comparator.reverseOrder()).toList());
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // A temporary directory left behind is harmless; the figures are what matter.
        }
    }
}
