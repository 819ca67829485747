package dev.pagealloc.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The benchmark's program is the one the {@code jit} module's tests check, byte for byte. */
class BrainfuckProgramCopyTest {

    @Test
    void shouldBenchmarkTheTestedMandelbrotProgram() throws IOException {
        assertEquals(Files.readString(Path.of("..", "jit", "src", "test", "resources", "dev", "pagealloc", "jit", "bf",
                        "mandelbrot.b")),
                Files.readString(Path.of("src", "main", "resources", "dev", "pagealloc", "bench", "mandelbrot.b")));
    }
}
