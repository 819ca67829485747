package dev.pagealloc.reliability.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.reliability.ChildModules;
import dev.pagealloc.testkit.ChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs each fuzzer in a child JVM, its code on the class path without native access under
 * {@code --illegal-native-access=deny}, pagealloc on the module path with it: the seeds kept in
 * {@code src/test/resources/fuzz-seeds.txt}, then fresh ones for {@code reliability.fuzz.seconds}
 * (3 in the normal build; {@code -Preliability-long} for ten minutes). A crash or a failed chain fails
 * the test with the seed that replays it (add it to the seeds file); for a crash, the seed is replayed alone
 * in a second child that prints each step, so that the report also names the step the JVM died at.
 */
class FuzzTest {
    private static final Pattern DONE = Pattern.compile("DONE (\\S+) chains=(\\d+) kept=(\\d+) failures=(\\d+)"
            + " actions=(\\d+) refusals=(\\d+) nativeAccess=(\\w+)");
    private static final String SEEDS = Path.of("src/test/resources/fuzz-seeds.txt").toAbsolutePath().toString();

    @ParameterizedTest
    @ValueSource(strings = {"allocator", "linear-memory", "chicory-memory", "manual-heap", "gc-heap", "code-heap"})
    void shouldKeepTheModelThroughEveryChain(String target) {
        long seconds = Long.getLong("reliability.fuzz.seconds", 3);
        long tries = Long.getLong("reliability.fuzz.tries", 1_000_000);
        Supplier<ChildJvm> child = () -> {
            ChildJvm jvm = ChildModules.withoutNativeAccess(FuzzMain.class);
            if (target.equals("code-heap")) {
                // Running generated code is restricted by design: this fuzzer's code gets native access
                // (shouldRefuseTheCodeHeapWithoutNativeAccess checks that it needs it).
                jvm.enableNativeAccess(ChildModules.PAGEALLOC_MODULES + ",ALL-UNNAMED");
            }
            return jvm;
        };
        ChildJvm.Result result = child.get()
                .timeout(Duration.ofSeconds(seconds + 120))
                .run(target, Long.toString(seconds), Long.toString(tries), SEEDS);

        crashReport(target, result, child).ifPresent(Assertions::fail);
        Matcher done = DONE.matcher(result.stdout());
        assertTrue(done.find(), result.describe());
        assertEquals("0", done.group(4), result.stdout());
        assertEquals(0, result.exitCode(), result.describe());
        assertEquals(Boolean.toString(target.equals("code-heap")), done.group(7),
                "the fuzzing code must run without native access (but for the code heap's)");
        // Both paths were taken: calls that succeeded and refusals that the model predicted.
        long actions = Long.parseLong(done.group(5));
        long refusals = Long.parseLong(done.group(6));
        assertTrue(refusals > 0 && refusals < actions, done.group());
        assertTrue(Long.parseLong(done.group(2)) > Long.parseLong(done.group(3)), "fresh seeds ran: " + done.group());
        System.out.println(done.group());
    }

    @Test
    void shouldReportTheFuzzerSeedAndStepOfACrashingChild() throws IOException {
        long seed = Files.readAllLines(Path.of(SEEDS)).stream().map(String::strip)
                .filter(l -> l.startsWith("allocator ")).map(l -> Long.parseUnsignedLong(l.substring(10), 16))
                .findFirst().orElseThrow();
        List<Step<AllocatorFuzz.State>> chain = AllocatorFuzz.chain(new SplittableRandom(seed), FuzzMain.STEPS);
        assertTrue(chain.size() >= 2, "the first allocator seed's chain has " + chain.size() + " actions");
        int crashAt = chain.size() / 2 + 1;
        // The crash hook writes to address 0, which is restricted: this child's class path gets native access.
        Supplier<ChildJvm> child = () -> ChildModules.withoutNativeAccess(FuzzMain.class)
                .enableNativeAccess(ChildModules.PAGEALLOC_MODULES + ",ALL-UNNAMED")
                .jvmOption("-Dreliability.fuzz.crashAtStep=" + crashAt);

        ChildJvm.Result result = child.get().timeout(Duration.ofSeconds(120)).run("allocator", "60", "1000", SEEDS);

        assertTrue(result.crashed(), result.describe());
        assertEquals(Optional.of("SIGSEGV"), result.signalName(), result.describe());
        String report = crashReport("allocator", result, child).orElseThrow();
        assertTrue(report.startsWith("the allocator fuzzer's child JVM crashed (SIGSEGV) in the chain of seed "
                + Long.toHexString(seed) + " at step " + crashAt + ": " + chain.get(crashAt - 1).description() + ";"),
                report);
        System.out.println(report.lines().findFirst().orElseThrow());
    }

    /**
     * {@return empty if the fuzz child ended by itself with its report, else what happened: the fuzzer, the
     * seed of the chain it died in (its last {@code SEED} line) and the step, from a replay of that seed alone
     * in a child made by {@code child} that prints each step (its last {@code STEP} line)}
     *
     * @param target the fuzzer
     * @param result the child's result
     * @param child makes a child JVM like the one that ran
     */
    static Optional<String> crashReport(String target, ChildJvm.Result result, Supplier<ChildJvm> child) {
        if (!result.crashed() && !result.timedOut() && DONE.matcher(result.stdout()).find()) {
            return Optional.empty();
        }
        String how = result.crashed() ? "crashed (" + result.signalName().orElse("no signal named") + ")"
                : result.timedOut() ? "timed out" : "ended without its report (exit " + result.exitCode() + ")";
        Optional<String> seed = lastLine(result.stdout(), "SEED " + target + " ");
        if (seed.isEmpty()) {
            return Optional.of("the " + target + " fuzzer's child JVM " + how + " before its first chain\n"
                    + result.describe());
        }
        ChildJvm.Result replay = child.get().timeout(Duration.ofSeconds(120))
                .run(target, "0", "0", SEEDS, seed.get());
        String where = replay.crashed() || replay.timedOut() || !DONE.matcher(replay.stdout()).find()
                ? lastLine(replay.stdout(), "STEP ").map(s -> "at step " + s.replaceFirst(" ", ": "))
                        .orElse("before its first step")
                : "(its replay alone ran to the end, so the crash needs more than the seed)";
        return Optional.of("the " + target + " fuzzer's child JVM " + how + " in the chain of seed " + seed.get()
                + " " + where + "; add \"" + target + " " + seed.get() + "\" to the seeds file to replay it\n"
                + result.describe());
    }

    private static Optional<String> lastLine(String output, String prefix) {
        return output.lines().filter(l -> l.startsWith(prefix)).reduce((a, b) -> b)
                .map(l -> l.substring(prefix.length()));
    }

    @Test
    void shouldRefuseTheCodeHeapWithoutNativeAccess() {
        ChildJvm.Result result = ChildModules.withoutNativeAccess(FuzzMain.class).timeout(Duration.ofSeconds(120))
                .run("code-heap-refused", "60", "1", SEEDS);
        Matcher done = DONE.matcher(result.stdout());
        assertTrue(done.find(), result.describe());
        assertEquals("0", done.group(4), result.stdout());
        assertEquals("1", done.group(6), "one refusal: " + done.group());
        assertEquals("false", done.group(7));
    }
}
