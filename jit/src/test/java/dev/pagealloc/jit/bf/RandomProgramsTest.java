package dev.pagealloc.jit.bf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.jit.bf.Programs.Mode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Seeded random programs that always end, run in every mode: the optimized IR and the generated code must
 * leave the same output and the same tape as the one-instruction-per-command interpreter; and, for programs
 * that leave the tape, compiled code the same output, tape and error as the interpreter over the same IR. The programs
 * reach cells more than 127 away inside multiply loops, so both displacement sizes are encoded.
 */
class RandomProgramsTest {
    private static final int CELLS = 400;
    private static final int PROGRAMS = 150;

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES) // a program that never ends is a bug of the generator below
    void shouldAgreeWithTheUnoptimizedInterpreterInEveryMode() throws IOException {
        long seed = new Random().nextLong();
        Random random = new Random(seed);
        for (int i = 0; i < PROGRAMS; i++) {
            StringBuilder program = new StringBuilder();
            int[] pointer = {random.nextInt(CELLS)};
            program.append(">".repeat(pointer[0]));
            statements(random, program, pointer, Set.of(), 0);
            byte[] input = new byte[random.nextInt(8)];
            random.nextBytes(input);
            Result expected = run(program.toString(), Mode.INTERPRETED_UNOPTIMIZED, input);
            for (Mode mode : Mode.values()) {
                assertEquals(expected, run(program.toString(), mode, input),
                        "seed=" + seed + " program #" + i + " mode=" + mode + ": " + program);
            }
        }
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void shouldLeaveTheTapeWhereTheInterpreterDoesWithTheSameErrorAndCells() throws IOException {
        long seed = new Random().nextLong();
        Random random = new Random(seed);
        int errors = 0;
        for (int i = 0; i < PROGRAMS; i++) {
            StringBuilder program = new StringBuilder();
            int[] pointer = {random.nextInt(CELLS)};
            program.append(">".repeat(pointer[0]));
            statements(random, program, pointer, Set.of(), 0);
            // A loop walking off either end, or a wild move, somewhere in a straight run.
            program.append(random.nextBoolean() ? "+[" + (random.nextBoolean() ? ">+" : "<-") + "]"
                    : "+".repeat(random.nextInt(3)) + (random.nextBoolean() ? ">" : "<").repeat(random.nextInt(CELLS))
                            + ".+");
            statements(random, program, pointer, Set.of(), 0);
            Result expected = run(program.toString(), Mode.INTERPRETED, new byte[0]);
            errors += expected.error().isEmpty() ? 0 : 1;
            for (Mode mode : new Mode[] {Mode.COMPILED_DUAL_MAPPING, Mode.COMPILED_FLIPPED}) {
                assertEquals(expected, run(program.toString(), mode, new byte[0]),
                        "seed=" + seed + " program #" + i + " mode=" + mode + ": " + program);
            }
        }
        assertTrue(errors > PROGRAMS / 4, "seed=" + seed + ": only " + errors + " programs left the tape");
    }

    /** Output, final tape, and the error's message if the program left the tape. */
    private record Result(String output, String tape, String error) {}

    private static Result run(String program, Mode mode, byte[] input) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String error = "";
        try (Tape tape = Tape.allocate(Programs.ALLOCATOR, CELLS)) {
            try {
                runIn(tape, program, mode, input, out);
            } catch (TapeOutOfRangeException e) {
                error = e.getMessage();
            }
            return new Result(HexFormat.of().formatHex(out.toByteArray()),
                    HexFormat.of().formatHex(tape.segment().toArray(ValueLayout.JAVA_BYTE)), error);
        }
    }

    private static void runIn(Tape tape, String program, Mode mode, byte[] input, ByteArrayOutputStream out)
            throws IOException {
        switch (mode) {
            case INTERPRETED_UNOPTIMIZED -> new BrainfuckInterpreter(BrainfuckProgram.parseUnoptimized(program))
                    .run(tape, new ByteArrayInputStream(input), out);
            case INTERPRETED -> new BrainfuckInterpreter(BrainfuckProgram.parse(program))
                    .run(tape, new ByteArrayInputStream(input), out);
            default -> {
                try (PageAllocatorCodeLoader loader = Programs.loader(mode);
                        CompiledBrainfuck compiled = BrainfuckCompiler.compile(BrainfuckProgram.parse(program),
                                loader)) {
                    compiled.run(tape, new ByteArrayInputStream(input), out);
                }
            }
        }
    }

    /**
     * Appends statements that never change the {@code counters} of the loops around them and end where the
     * pointer started, so every loop ends.
     */
    private static void statements(Random random, StringBuilder out, int[] pointer, Set<Integer> counters,
            int depth) {
        int start = pointer[0];
        for (int n = 1 + random.nextInt(6); n > 0; n--) {
            switch (random.nextInt(7)) {
                case 0, 1 -> {
                    moveTo(out, pointer, otherCell(random, counters));
                    out.append((random.nextBoolean() ? "+" : "-").repeat(1 + random.nextInt(300)));
                }
                case 2 -> {
                    moveTo(out, pointer, otherCell(random, counters));
                    out.append(random.nextBoolean() ? "." : ",");
                }
                case 3, 4 -> {
                    // A multiply loop: count this cell down, add to others, come back.
                    int cell = otherCell(random, counters);
                    moveTo(out, pointer, cell);
                    out.append('[');
                    int decrement = random.nextInt(3);
                    for (int t = 0; t < 3; t++) {
                        if (t == decrement) {
                            moveTo(out, pointer, cell);
                            out.append('-');
                        }
                        moveTo(out, pointer, Math.floorMod(cell + random.nextInt(-200, 201), CELLS));
                        if (pointer[0] != cell && !counters.contains(pointer[0])) {
                            out.append((random.nextBoolean() ? "+" : "-").repeat(1 + random.nextInt(5)));
                        }
                    }
                    moveTo(out, pointer, cell);
                    out.append(']');
                }
                case 5 -> {
                    if (depth < 2) {
                        // A counted loop of at most 4 turns around statements that leave its counter alone.
                        int cell = otherCell(random, counters);
                        moveTo(out, pointer, cell);
                        out.append("[-]").append("+".repeat(1 + random.nextInt(4))).append('[');
                        Set<Integer> inner = new HashSet<>(counters);
                        inner.add(cell);
                        statements(random, out, pointer, inner, depth + 1);
                        moveTo(out, pointer, cell);
                        out.append("-]");
                    }
                }
                default -> {
                    moveTo(out, pointer, otherCell(random, counters));
                    out.append("[-]");
                }
            }
        }
        moveTo(out, pointer, start);
    }

    private static int otherCell(Random random, Set<Integer> counters) {
        int cell;
        do {
            cell = random.nextInt(CELLS);
        } while (counters.contains(cell));
        return cell;
    }

    private static void moveTo(StringBuilder out, int[] pointer, int cell) {
        out.append((cell > pointer[0] ? ">" : "<").repeat(Math.abs(cell - pointer[0])));
        pointer[0] = cell;
    }
}
