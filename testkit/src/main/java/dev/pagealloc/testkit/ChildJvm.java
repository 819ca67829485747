package dev.pagealloc.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.module.FindException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Runs a main class in a child JVM, for tests whose subject may kill the JVM (a write into a guard
 * page, a jump into non-executable memory). After wasmtime's {@code host_segfault.rs}: the child
 * prints a marker before the dangerous step, and the parent checks how it died.
 *
 * <p>The child gets {@code java.home}'s {@code java}, the parent's class path ({@code java.class.path}),
 * {@code --enable-native-access=ALL-UNNAMED}, {@code -XX:ErrorFile=<temp dir>/hs_err_%p.log} and
 * {@code -XX:-CreateCoredumpOnCrash}. HotSpot does not die by the signal: on SIGSEGV it writes the
 * error report and exits with status 1, so a crash is read from {@link Result#errorReport()}
 * ({@code si_signo: 11 (SIGSEGV)}, {@code si_code: 2 (SEGV_ACCERR)}, {@code si_addr: 0x...}). On
 * Windows the report names the structured exception instead (HotSpot {@code os_windows.cpp},
 * {@code os::print_siginfo}: {@code siginfo: EXCEPTION_ACCESS_VIOLATION (0xc0000005), writing address
 * 0x...}), and {@code os::abort} also exits with status 1 when no minidump is written.
 *
 * {@snippet :
 * ChildJvm.Result result = ChildJvm.of(GuardWriter.class).environment("CASE", "after").run();
 * assertEquals(1, result.exitCode());
 * assertEquals(OptionalLong.of(guardAddress), result.faultAddress());
 * }
 *
 * <p>Not thread-safe while being configured; {@link #run(String...)} may be called again, and each
 * call starts a new child and waits for it.
 */
public final class ChildJvm {
    private static final Pattern SIGNAL = Pattern.compile("si_signo:\\s*(\\d+)\\s*\\((\\w+)\\)");
    private static final Pattern CODE = Pattern.compile("si_code:\\s*(-?\\d+)\\s*\\((\\w+)\\)");
    private static final Pattern ADDRESS = Pattern.compile("si_addr:\\s*(?:0x)?([0-9a-fA-F]+)");
    /** Windows: {@code siginfo: EXCEPTION_ACCESS_VIOLATION (0xc0000005)} (os_windows.cpp, print_siginfo). */
    private static final Pattern EXCEPTION = Pattern.compile(
            "siginfo:\\s*(EXCEPTION_\\w+)\\s*\\(0x([0-9a-fA-F]+)\\)");
    /** Windows: the access kind and address that follow an access violation's name, printed there too. */
    private static final Pattern ACCESS = Pattern.compile(
            "siginfo:\\s*EXCEPTION_\\w+\\s*\\(0x[0-9a-fA-F]+\\),\\s*"
                    + "(reading|writing|data execution prevention violation at) address (?:0x)?([0-9a-fA-F]+)");

    private final Class<?> mainClass;
    private final List<String> jvmOptions = new ArrayList<>();
    private final Map<String, String> environment = new LinkedHashMap<>();
    private final List<String> launcher = new ArrayList<>();
    private Duration timeout = Duration.ofSeconds(60);
    private String nativeAccess = "ALL-UNNAMED";
    private String classPath = System.getProperty("java.class.path");

    private ChildJvm(Class<?> mainClass) {
        this.mainClass = Objects.requireNonNull(mainClass, "mainClass");
    }

    /**
     * {@return the names of the modules a class-path entry holds}: none for a folder without a
     * {@code module-info.class} or a jar that is no module, so that a test can split its own class path into
     * a child's module path and class path.
     *
     * @param classPathEntry a folder or jar of the class path
     */
    public static Set<String> moduleNames(Path classPathEntry) {
        if (!Files.exists(classPathEntry)
                || Files.isDirectory(classPathEntry) && !Files.exists(classPathEntry.resolve("module-info.class"))) {
            return Set.of();
        }
        try {
            return ModuleFinder.of(classPathEntry).findAll().stream().map(ModuleReference::descriptor)
                    .map(ModuleDescriptor::name).collect(Collectors.toSet());
        } catch (FindException e) {
            return Set.of();
        }
    }

    /**
     * {@return a child JVM that will run {@code mainClass}}
     *
     * @param mainClass a class with {@code public static void main(String[])} on the parent's class path
     */
    public static ChildJvm of(Class<?> mainClass) {
        return new ChildJvm(mainClass);
    }

    /**
     * Adds a JVM option, e.g. {@code -Dpagealloc.platform=linux} or {@code -Xmx64m}.
     *
     * @param option the option, passed as one argument before the main class
     * @return this
     */
    public ChildJvm jvmOption(String option) {
        jvmOptions.add(Objects.requireNonNull(option, "option"));
        return this;
    }

    /**
     * Starts the child through {@code command} (words before {@code java}), e.g. {@code prlimit
     * --memlock=65536:65536} to run it under a lower resource limit.
     *
     * @param command the launcher and its arguments
     * @return this
     * @throws NullPointerException if a word is null
     */
    public ChildJvm launcher(String... command) {
        for (String word : command) {
            launcher.add(Objects.requireNonNull(word, "command word"));
        }
        return this;
    }

    /**
     * Sets an environment variable of the child, e.g. the case to run.
     *
     * @param name the variable
     * @param value its value
     * @return this
     */
    public ChildJvm environment(String name, String value) {
        environment.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
        return this;
    }

    /**
     * Sets the modules granted native access, the value of {@code --enable-native-access}; tests of
     * restricted methods grant pagealloc's modules and not the caller's.
     *
     * @param modules comma-separated module names or {@code ALL-UNNAMED}; {@code ALL-UNNAMED} unless set
     * @return this
     */
    public ChildJvm enableNativeAccess(String modules) {
        this.nativeAccess = Objects.requireNonNull(modules, "modules");
        return this;
    }

    /**
     * Sets the child's class path; a module path is a {@link #jvmOption} ({@code --module-path=...}).
     *
     * @param classPath the class path; the parent's ({@code java.class.path}) unless set
     * @return this
     */
    public ChildJvm classPath(String classPath) {
        this.classPath = Objects.requireNonNull(classPath, "classPath");
        return this;
    }

    /**
     * Sets how long {@link #run} waits before killing the child; 60 seconds unless set.
     *
     * @param timeout the limit; positive
     * @return this
     * @throws IllegalArgumentException if {@code timeout} is zero or negative
     */
    public ChildJvm timeout(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout(timeout=" + timeout + "): must be positive");
        }
        this.timeout = timeout;
        return this;
    }

    /** {@return the command line {@link #run} starts, without program arguments} */
    public List<String> command() {
        return command(Path.of("<temp dir>"));
    }

    private List<String> command(Path directory) {
        List<String> command = new ArrayList<>(launcher);
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--enable-native-access=" + nativeAccess);
        command.add("-XX:ErrorFile=" + directory.resolve("hs_err_%p.log"));
        command.add("-XX:-CreateCoredumpOnCrash");
        command.add("-Xshare:auto");
        command.add("-cp");
        command.add(classPath);
        command.addAll(jvmOptions);
        command.add(mainClass.getName());
        return command;
    }

    /**
     * Starts the child, waits for it (killing it at the timeout), and collects what it left.
     *
     * @param arguments the main class's arguments
     * @return the exit code, output and error report
     * @throws UncheckedIOException if the child cannot be started or its output read
     * @throws IllegalStateException if the waiting thread is interrupted (the child is killed)
     */
    public Result run(String... arguments) {
        Path directory;
        try {
            directory = Files.createTempDirectory("pagealloc-child-");
        } catch (IOException e) {
            throw new UncheckedIOException("run(): cannot create a temporary folder", e);
        }
        try {
            List<String> command = command(directory);
            command.addAll(List.of(arguments));
            Path out = directory.resolve("stdout.txt");
            Path err = directory.resolve("stderr.txt");
            ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            builder.environment().putAll(environment);
            Process process = builder.start();
            boolean finished;
            try {
                finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IllegalStateException("run(mainClass=" + mainClass.getName() + "): interrupted", e);
            }
            if (!finished) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            return new Result(finished ? process.exitValue() : -1, !finished, read(out), read(err),
                    errorReport(directory));
        } catch (IOException e) {
            throw new UncheckedIOException("run(mainClass=" + mainClass.getName() + "): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("run(mainClass=" + mainClass.getName() + "): interrupted", e);
        } finally {
            deleteRecursively(directory);
        }
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    }

    private static Optional<String> errorReport(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            Optional<Path> report = files.filter(p -> p.getFileName().toString().startsWith("hs_err_")).findFirst();
            if (report.isEmpty()) {
                return Optional.empty();
            }
            // The report may hold bytes that are not UTF-8 (memory dumps); decode leniently.
            return Optional.of(new String(Files.readAllBytes(report.get()), StandardCharsets.ISO_8859_1));
        }
    }

    private static void deleteRecursively(Path directory) {
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // A leftover temporary folder is harmless; the result has been read.
        }
    }

    /**
     * How a child JVM ended.
     *
     * @param exitCode the exit status; 1 after a HotSpot crash report, -1 if killed at the timeout
     * @param timedOut whether the child was killed at the timeout
     * @param stdout everything the child wrote to standard output
     * @param stderr everything the child wrote to standard error
     * @param errorReport the text of HotSpot's {@code hs_err} report, if the child crashed
     */
    public record Result(int exitCode, boolean timedOut, String stdout, String stderr, Optional<String> errorReport) {

        /** {@return whether the child wrote a HotSpot crash report} */
        public boolean crashed() {
            return errorReport.isPresent();
        }

        /**
         * {@return the signal number of the crash ({@code si_signo}, 11 for SIGSEGV)}, if it crashed; on
         * Windows the exception code ({@code 0xC0000005} for {@code EXCEPTION_ACCESS_VIOLATION}, negative as an int)
         */
        public OptionalInt signalNumber() {
            return match(SIGNAL, 1).map(s -> OptionalInt.of(Integer.parseInt(s)))
                    .or(() -> match(EXCEPTION, 2).map(s -> OptionalInt.of(Integer.parseUnsignedInt(s, 16))))
                    .orElse(OptionalInt.empty());
        }

        /**
         * {@return the signal name of the crash, e.g. {@code SIGSEGV}}, if it crashed; on Windows the
         * exception's name, e.g. {@code EXCEPTION_ACCESS_VIOLATION}
         */
        public Optional<String> signalName() {
            return match(SIGNAL, 2).or(() -> match(EXCEPTION, 1));
        }

        /**
         * {@return the crash's {@code si_code} name, e.g. {@code SEGV_ACCERR} or {@code SEGV_MAPERR}}; on
         * Windows, for an access violation, how memory was accessed: {@code reading}, {@code writing} or
         * {@code data execution prevention violation at}
         */
        public Optional<String> signalCodeName() {
            return match(CODE, 2).or(() -> match(ACCESS, 1));
        }

        /** {@return the crash's {@code si_code} number, e.g. 2 for {@code SEGV_ACCERR}}; empty on Windows */
        public OptionalInt signalCode() {
            return match(CODE, 1).map(s -> OptionalInt.of(Integer.parseInt(s))).orElse(OptionalInt.empty());
        }

        /** {@return the faulting address of the crash ({@code si_addr})}, if it crashed */
        public OptionalLong faultAddress() {
            return errorReport.map(ChildJvm::parseFaultAddress).orElse(OptionalLong.empty());
        }

        private Optional<String> match(Pattern pattern, int group) {
            return errorReport.flatMap(report -> {
                Matcher m = pattern.matcher(report);
                return m.find() ? Optional.of(m.group(group)) : Optional.empty();
            });
        }

        /** {@return a multi-line summary for assertion messages: exit, output, and the report's signal line} */
        public String describe() {
            return "exitCode=" + exitCode + (timedOut ? " (killed at the timeout)" : "")
                    + signalName().map(s -> ", " + s + signalCodeName().map(c -> "/" + c).orElse("")
                            + faultAddress().stream().mapToObj(a -> " at 0x" + Long.toHexString(a))
                                    .findFirst().orElse(""))
                            .orElse("")
                    + "\n--- stdout ---\n" + stdout + "--- stderr ---\n" + stderr;
        }
    }

    /**
     * {@return the address after {@code si_addr:} in a HotSpot error report, or on Windows the one after
     * {@code reading address}/{@code writing address}}, or empty if there is none
     *
     * @param errorReport the text of an {@code hs_err} report
     */
    public static OptionalLong parseFaultAddress(String errorReport) {
        Matcher m = ADDRESS.matcher(errorReport);
        if (m.find()) {
            return OptionalLong.of(Long.parseUnsignedLong(m.group(1), 16));
        }
        Matcher windows = ACCESS.matcher(errorReport);
        return windows.find() ? OptionalLong.of(Long.parseUnsignedLong(windows.group(2), 16)) : OptionalLong.empty();
    }
}
