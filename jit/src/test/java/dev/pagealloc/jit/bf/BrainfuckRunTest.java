package dev.pagealloc.jit.bf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.jit.bf.Programs.Mode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Running in every mode: the tape's bounds, input and output, and failures in Java's streams. Compiled code
 * that ran off the tape would fault or corrupt the JVM; these tests pass only because it returns an error.
 */
class BrainfuckRunTest {
    private static final long CELLS = 16;

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldStopAMoveLeftOfTheFirstCell(Mode mode) {
        TapeOutOfRangeException e = assertThrows(TapeOutOfRangeException.class,
                () -> Programs.run("+\n <", mode, CELLS, ""));
        assertEquals("tape access out of range at instruction 1 (source 2:2): the tape has 16 cells, numbered 0 to 15",
                e.getMessage());
        assertEquals(new SourcePosition(2, 2), e.position());
        assertEquals(CELLS, e.tapeCells());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldStopAMovePastTheLastCell(Mode mode) throws IOException {
        assertEquals("", Programs.run(">".repeat(15), mode, CELLS, ""));
        TapeOutOfRangeException e = assertThrows(TapeOutOfRangeException.class,
                () -> Programs.run(">".repeat(16), mode, CELLS, ""));
        assertEquals(CELLS, e.tapeCells());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldStopAMoveFarBeyondTheGuardPages(Mode mode) {
        // A million cells to the right: past the tape, its guard page and whatever lies beyond.
        TapeOutOfRangeException e = assertThrows(TapeOutOfRangeException.class,
                () -> Programs.run(">".repeat(1_000_000) + "+", mode, Tape.DEFAULT_CELLS, ""));
        // Folded, the million moves are one instruction; one by one, the 30,000th leaves the tape.
        assertEquals(new SourcePosition(1, mode == Mode.INTERPRETED_UNOPTIMIZED ? 30_000 : 1), e.position());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldStopALoopWalkingOffTheTapeWithTheCellsItWrote(Mode mode) throws IOException {
        String program = "+[>+]";
        try (Tape tape = Tape.allocate(Programs.ALLOCATOR, CELLS)) {
            TapeOutOfRangeException e = assertThrows(TapeOutOfRangeException.class,
                    () -> runOn(tape, program, mode, InputStream.nullInputStream(), new ByteArrayOutputStream()));
            assertEquals(new SourcePosition(1, 3), e.position());
            byte[] ones = new byte[(int) CELLS];
            Arrays.fill(ones, (byte) 1);
            assertArrayEquals(ones, tape.segment().toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldStopAMultiplyLoopReachingOffTheTapeBeforeItWrites(Mode mode) throws IOException {
        try (Tape tape = Tape.allocate(Programs.ALLOCATOR, CELLS)) {
            assertThrows(TapeOutOfRangeException.class, () -> runOn(tape, "+++[-<+>]", mode,
                    new ByteArrayInputStream(new byte[0]), new ByteArrayOutputStream()));
            // The idiom checks its reach first; command by command, the '-' ran before the '<' failed.
            assertEquals(mode == Mode.INTERPRETED_UNOPTIMIZED ? 2 : 3, tape.cell(0));
        }
        // With the cell at 0 the loop never runs, so it reaches nothing: no error, as without the idiom.
        assertEquals("", Programs.run("[-<+>]", mode, CELLS, ""));
        assertThrows(TapeOutOfRangeException.class, () -> Programs.run(">".repeat(15) + "+[->+<]", mode, CELLS, ""));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldWriteWhatWasPrintedBeforeAnError(Mode mode) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThrows(TapeOutOfRangeException.class,
                () -> Programs.run("+".repeat(49) + ".<", mode, CELLS, new ByteArrayInputStream(new byte[0]), out));
        assertEquals("1", out.toString(StandardCharsets.US_ASCII));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldEchoItsInputAndLeaveTheCellAtTheEndOfInput(Mode mode) throws IOException {
        assertEquals("pagealloc\n", Programs.run(",[.[-],]", mode, CELLS, "pagealloc\n"));
        assertEquals("\u0003", Programs.run("+++,.", mode, CELLS, ""));
        assertEquals("\u00ff\u0000", Programs.run(",.,.", mode, CELLS, "\u00ff\u0000"));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldPassAnOutputFailureToTheCaller(Mode mode) {
        OutputStream failing = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("disk full");
            }
        };
        // The output is buffered: the failure shows when the buffer is written, at the latest at the end.
        IOException e = assertThrows(IOException.class,
                () -> runFresh("+.", mode, InputStream.nullInputStream(), failing));
        assertEquals("disk full", e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldStopAtAnInputFailure(Mode mode) {
        InputStream failing = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("terminal closed");
            }
        };
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        IOException e = assertThrows(IOException.class, () -> runFresh("+.,+.", mode, failing, out));
        assertEquals("terminal closed", e.getMessage());
        assertEquals("\u0001", out.toString(StandardCharsets.ISO_8859_1));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldPassAnUncheckedFailureInAStreamToTheCaller(Mode mode) {
        InputStream failing = new InputStream() {
            @Override
            public int read() {
                throw new IllegalStateException("no input here");
            }
        };
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> runFresh(",", mode, failing, new ByteArrayOutputStream()));
        assertEquals("no input here", e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shouldWrapCellsAtEightBits(Mode mode) throws IOException {
        assertEquals("\u0000\u00ff\u0001", Programs.run("+".repeat(256) + ".-.++.", mode, CELLS, ""));
        // 200 * 3 = 600 = 88 mod 256, through a multiply loop.
        assertEquals("X", Programs.run("+".repeat(200) + "[->+++<]>.", mode, CELLS, ""));
    }

    private static void runFresh(String program, Mode mode, InputStream in, OutputStream out) throws IOException {
        try (Tape tape = Tape.allocate(Programs.ALLOCATOR, CELLS)) {
            runOn(tape, program, mode, in, out);
        }
    }

    private static void runOn(Tape tape, String program, Mode mode, InputStream in, OutputStream out)
            throws IOException {
        switch (mode) {
            case INTERPRETED_UNOPTIMIZED -> new BrainfuckInterpreter(BrainfuckProgram.parseUnoptimized(program))
                    .run(tape, in, out);
            case INTERPRETED -> new BrainfuckInterpreter(BrainfuckProgram.parse(program)).run(tape, in, out);
            case COMPILED_DUAL_MAPPING, COMPILED_FLIPPED -> {
                try (PageAllocatorCodeLoader loader = Programs.loader(mode);
                        CompiledBrainfuck compiled = BrainfuckCompiler.compile(BrainfuckProgram.parse(program),
                                loader)) {
                    compiled.run(tape, in, out);
                }
            }
        }
        assertTrue(tape.region().isAlive());
    }
}
