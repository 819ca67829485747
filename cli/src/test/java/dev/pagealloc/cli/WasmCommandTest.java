package dev.pagealloc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code pagealloc wasm run} and {@code pagealloc wasm-spec}, through {@link Main#run}, on the default
 * memory (pagealloc's); {@code --memory bytearray} is checked where it refuses {@code --image}.
 */
class WasmCommandTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void runInvokesAnExportWithTypedArgumentsAndPrintsItsResult() {
        assertEquals(0, run("wasm", "run", "sieve", "--invoke", "sieve", "100000"),
                err::toString);
        assertEquals("9592\n", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void runGivesAWasiCommandItsStandardOutput() {
        assertEquals(0, run("wasm", "run", "hello-wasi", "--interpreter"), err::toString);
        assertEquals("Hello from WebAssembly on a pagealloc linear memory\n", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void runRefusesAWrongArgumentCountNamingTheSignature() {
        assertEquals(2, run("wasm", "run", "sieve", "--invoke", "sieve"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("sieve takes 1 argument(s) [i32], given 0"),
                err::toString);
    }

    @Test
    void specEndsWithTheCountsLine() {
        Path address = Path.of("..", "chicory", "src", "test", "resources", "wasm-testsuite", "json", "address");
        assertEquals(0, run("wasm-spec", address.toString(), "--engine", "interpreter"),
                () -> out + "\n" + err);
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(Pattern.compile("(?m)^\\d+ passed, 0 failed, \\d+ skipped$").matcher(text).find(), text);
        assertTrue(text.startsWith("259 passed, 0 failed, 1 skipped"), text);
    }

    @Test
    void runTakesTheMemoryFromAPoolSlotWithTheActiveDataMappedFromAnImage() {
        assertEquals(0, run("wasm", "run", "hello-wasi", "--interpreter", "--pool", "--image"), err::toString);
        assertEquals("Hello from WebAssembly on a pagealloc linear memory\n", out.toString(StandardCharsets.UTF_8));
        String report = err.toString(StandardCharsets.UTF_8);
        assertTrue(report.contains("pagealloc, from a pool slot of 4096 MiB, active data from an image of 68 bytes"),
                report);
    }

    @Test
    void runRefusesPoolAndImageOnChicorysOwnMemory() {
        assertEquals(2, run("wasm", "run", "hello-wasi", "--memory", "bytearray", "--image"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--pool and --image need --memory pagealloc, not "
                + "bytearray"), err::toString);
    }
}
