package dev.pagealloc.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CBaselineTest {

    @Test
    void shouldBuildAndRunTheBaselineWithEveryOperation() {
        assumeTrue(CBaseline.findGcc().isPresent(), "no gcc on the PATH");

        CBaseline.Outcome outcome = CBaseline.run(2, 1);

        assertTrue(outcome.problem().isEmpty(), () -> outcome.problem().orElseThrow());
        assertEquals(List.of("cycle", "cycle_mmap_rw", "grow_1MiB", "grow_1GiB", "protect_flip", "labs",
                "munmap_busy0", "munmap_busy2"), List.copyOf(outcome.samples().keySet()));
        outcome.samples().forEach((operation, samples) -> {
            assertEquals(2, samples.length, operation);
            for (double sample : samples) {
                assertTrue(sample > 0, operation + " measured " + sample);
            }
        });
        // macOS's `gcc` is Apple clang ("Apple clang version ..."): only Linux's is named gcc.
        String compiler = outcome.compiler().orElseThrow();
        assertTrue(System.getProperty("os.name").startsWith("Linux") ? compiler.contains("gcc") : !compiler.isBlank(),
                compiler);
    }

    @Test
    void shouldParseNamesAndSamplesSkippingComments() {
        Map<String, double[]> samples = CBaseline.parse("# page_bytes 4096\ncycle 10.5 11.25\n\nlabs 2.5\n");

        assertEquals(List.of("cycle", "labs"), List.copyOf(samples.keySet()));
        assertArrayEquals(new double[] {10.5, 11.25}, samples.get("cycle"));
        assertArrayEquals(new double[] {2.5}, samples.get("labs"));
    }

    @Test
    void shouldRejectALineWithoutSamples() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> CBaseline.parse("cycle\n"));

        assertEquals("unexpected C baseline line \"cycle\": expected a name and samples", e.getMessage());
    }
}
