package dev.pagealloc.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class BenchMainTest {

    @Test
    void shouldParseEveryOption() {
        BenchMain.Arguments arguments = BenchMain.Arguments.parse("--quick", "--only", "Grow", "--no-c", "--details",
                "--output", "report.md");

        assertEquals(new BenchMain.Arguments(true, "Grow", true, true, Path.of("report.md")), arguments);
    }

    @Test
    void shouldRefuseAnUnknownOptionWithTheUsage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BenchMain.Arguments.parse("--fast"));

        assertTrue(e.getMessage().startsWith("unknown argument \"--fast\"\nusage: pagealloc-bench"), e.getMessage());
    }
}
