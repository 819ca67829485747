package dev.pagealloc.reliability.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.reliability.ChildModules;
import dev.pagealloc.testkit.ChildJvm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs each fuzzer in a child JVM, its code on the class path without native access under
 * {@code --illegal-native-access=deny}, pagealloc on the module path with it: the seeds kept in
 * {@code src/test/resources/fuzz-seeds.txt}, then fresh ones for {@code reliability.fuzz.seconds}
 * (3 in the normal build; {@code -Preliability-long} for ten minutes). A crash or a failed chain fails
 * the test with the seed that replays it (add it to the seeds file).
 */
class FuzzTest {
    private static final Pattern DONE = Pattern.compile("DONE (\\S+) chains=(\\d+) kept=(\\d+) failures=(\\d+)"
            + " actions=(\\d+) refusals=(\\d+) nativeAccess=(\\w+)");

    @ParameterizedTest
    @ValueSource(strings = {"allocator", "linear-memory", "chicory-memory", "manual-heap", "gc-heap", "code-heap"})
    void shouldKeepTheModelThroughEveryChain(String target) {
        long seconds = Long.getLong("reliability.fuzz.seconds", 3);
        long tries = Long.getLong("reliability.fuzz.tries", 1_000_000);
        ChildJvm child = ChildModules.withoutNativeAccess(FuzzMain.class);
        if (target.equals("code-heap")) {
            // Running generated code is restricted by design: this fuzzer's code gets native access
            // (shouldRefuseTheCodeHeapWithoutNativeAccess checks that it needs it).
            child.enableNativeAccess(ChildModules.PAGEALLOC_MODULES + ",ALL-UNNAMED");
        }
        ChildJvm.Result result = child
                .timeout(Duration.ofSeconds(seconds + 120))
                .run(target, Long.toString(seconds), Long.toString(tries),
                        Path.of("src/test/resources/fuzz-seeds.txt").toAbsolutePath().toString());

        String lastSeed = result.stdout().lines().filter(l -> l.startsWith("SEED ")).reduce((a, b) -> b).orElse("none");
        assertFalse(result.crashed(), "the child JVM crashed during " + lastSeed + "\n" + result.describe());
        assertFalse(result.timedOut(), "timed out during " + lastSeed);
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
    void shouldRefuseTheCodeHeapWithoutNativeAccess() {
        ChildJvm.Result result = ChildModules.withoutNativeAccess(FuzzMain.class).timeout(Duration.ofSeconds(120))
                .run("code-heap-refused", "60", "1", Path.of("src/test/resources/fuzz-seeds.txt").toAbsolutePath()
                        .toString());
        Matcher done = DONE.matcher(result.stdout());
        assertTrue(done.find(), result.describe());
        assertEquals("0", done.group(4), result.stdout());
        assertEquals("1", done.group(6), "one refusal: " + done.group());
        assertEquals("false", done.group(7));
    }
}
