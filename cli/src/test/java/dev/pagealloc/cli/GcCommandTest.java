package dev.pagealloc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code pagealloc gc binary-trees N}: the standard output, the statistics, and the usage errors. */
class GcCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void shouldPrintBinaryTreesOutputThenTheStatistics() {
        assertEquals(0, run("gc", "binary-trees", "10"), err::toString);
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.startsWith("""
                stretch tree of depth 11\t check: 4095
                1024\t trees of depth 4\t check: 31744
                256\t trees of depth 6\t check: 32512
                64\t trees of depth 8\t check: 32704
                16\t trees of depth 10\t check: 32752
                long lived tree of depth 10\t check: 2047

                heap statistics after\s""".replace("\n", System.lineSeparator())), text);
        assertTrue(text.contains("minorCollections="), text);
    }

    @Test
    void shouldRunGcBench() {
        assertEquals(0, run("gc", "gcbench"), err::toString);
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.startsWith("Garbage Collector Test" + System.lineSeparator()), text);
        assertTrue(text.contains("Creating 8 trees of depth 16"), text);
        assertTrue(text.contains("Completed in "), text);
        assertTrue(!text.contains("Failed"), text);
    }

    @Test
    void shouldExplainBadArguments() {
        assertEquals(2, run("gc", "binary-trees", "x"));
        assertEquals(2, run("gc", "binary-trees", "99"));
        assertEquals(2, run("gc"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("usage: pagealloc gc binary-trees N"));
    }
}
