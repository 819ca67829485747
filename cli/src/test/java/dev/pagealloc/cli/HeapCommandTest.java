package dev.pagealloc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code pagealloc heap}: the workload's exact statistics, the kernel's view around close, the usage errors. */
class HeapCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void shouldPrintExactStatisticsAndTheKernelsViewBeforeAndAfterClose() {
        assertEquals(0, run("heap", "--threads", "3", "--operations", "5000"), err::toString);
        String text = out.toString(StandardCharsets.UTF_8);
        // Every worker freed all it allocated and ended: nothing live, counts exact, caches retired.
        Matcher stats = Pattern.compile("live (\\d+) blocks, 0 B; peak [^;]+; (\\d+) allocations, (\\d+) frees; "
                + "[^;]+ of pages held; 0 thread caches").matcher(text);
        assertTrue(stats.find(), text);
        assertEquals("0", stats.group(1));
        assertEquals("15000", stats.group(2));
        assertEquals("15000", stats.group(3));
        assertTrue(text.contains("size classes used (block bytes: allocations, slabs held): 16: "), text);
        assertTrue(text.contains("ns per allocation"), text);
        if (Files.isReadable(Path.of("/proc/self/maps"))) {
            String before = text.substring(text.indexOf("the kernel's view before close"),
                    text.indexOf("the kernel's view after close"));
            String after = text.substring(text.indexOf("the kernel's view after close"));
            assertEquals(2, before.split("rw-p", -1).length - 1, before);
            assertEquals(2, after.split("no mapping", -1).length - 1, after);
        }
    }

    @Test
    void shouldExplainBadArguments() {
        assertEquals(2, run("heap", "--threads", "0"));
        assertEquals(2, run("heap", "--operations", "x"));
        assertEquals(2, run("heap", "--threads"));
        assertEquals(2, run("heap", "--size", "3"));
        String text = err.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("--threads=0 is outside [1, 64]"), text);
        assertTrue(text.contains("--operations must be a number, not 'x'"), text);
        assertTrue(text.contains("usage: pagealloc heap [--threads N] [--operations N]"), text);
    }
}
