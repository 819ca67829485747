package dev.pagealloc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code pagealloc soak} for a few seconds: work is done, errors are provoked and handled, nothing stays. */
class SoakCommandTest {
    @Test
    void shouldRunAcrossTheLayersAndGiveEverythingBack() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(List.of("soak", "--minutes", "0.05", "--threads", "3"),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));

        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, text + err.toString(StandardCharsets.UTF_8));
        Matcher operations = Pattern.compile("operations: (\\d+)").matcher(text);
        assertTrue(operations.find() && Long.parseLong(operations.group(1)) > 10, text);
        assertTrue(text.contains("MaximumPagesExceededException=") && text.contains("MemoryAccessTrap="), text);
        assertTrue(text.contains("unexpected errors: {}"), text);
        assertTrue(text.contains("allocator: 0 live regions, 0 committed bytes"), text);
        assertTrue(Pattern.compile("start: \\d+ mappings, RSS \\d+ KiB, Java heap committed \\d+ KiB").matcher(text)
                .find(), text);
        assertTrue(text.endsWith("result: OK" + System.lineSeparator()), text);
    }

    @Test
    void shouldRefuseBadArgumentsNamingThem() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(List.of("soak", "--minutes", "0"), System.out,
                new PrintStream(err, true, StandardCharsets.UTF_8));

        assertEquals(2, status);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--minutes must be in (0, 10080] (got 0.0)"),
                err.toString(StandardCharsets.UTF_8));
    }
}
