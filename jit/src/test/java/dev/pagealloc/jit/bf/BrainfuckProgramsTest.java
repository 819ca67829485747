package dev.pagealloc.jit.bf;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pagealloc.jit.bf.Programs.Mode;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The committed programs print what plain Java computes they must, in every mode. */
class BrainfuckProgramsTest {

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldPrintHelloWorld(Mode mode) throws IOException {
        assertEquals(TestPrograms.expectedHello(),
                Programs.run(Programs.source("hello.b"), mode, Tape.DEFAULT_CELLS, ""));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldPrintThePrimesBelowOneHundred(Mode mode) throws IOException {
        assertEquals(TestPrograms.expectedPrimes(),
                Programs.run(Programs.source("primes.b"), mode, Tape.DEFAULT_CELLS, ""));
    }

    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"INTERPRETED", "COMPILED_DUAL_MAPPING", "COMPILED_FLIPPED"})
    void shouldDrawTheMandelbrotSet(Mode mode) throws IOException {
        assertEquals(TestPrograms.expectedMandelbrot(),
                Programs.run(Programs.source("mandelbrot.b"), mode, Tape.DEFAULT_CELLS, ""));
    }

    @Test
    void shouldKeepTheCommittedProgramsAsTheGeneratorWritesThem() {
        assertEquals(TestPrograms.hello(), Programs.source("hello.b"));
        assertEquals(TestPrograms.primes(), Programs.source("primes.b"));
        assertEquals(TestPrograms.mandelbrot(), Programs.source("mandelbrot.b"));
    }
}
