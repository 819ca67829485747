package dev.pagealloc.jit.bf;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Objects;

/**
 * Runs a program's IR in plain Java: the reference the compiled code must agree with, and the fallback
 * where the compiler cannot run. The IR is flattened into parallel arrays once, at construction.
 *
 * <p>Immutable and thread-safe; each run uses its own tape.
 */
public final class BrainfuckInterpreter implements BrainfuckRunner {
    private static final int ADD = 0;
    private static final int MOVE = 1;
    private static final int CLEAR = 2;
    private static final int MULTIPLY = 3;
    private static final int OUTPUT = 4;
    private static final int INPUT = 5;
    private static final int LOOP_START = 6;
    private static final int LOOP_END = 7;
    private static final ValueLayout.OfByte CELL = ValueLayout.JAVA_BYTE;

    private final BrainfuckProgram program;
    private final int[] opcodes;
    /** Add: delta; Move: cells; loops: the matching instruction; MultiplyLoop: its first term. */
    private final int[] arguments;
    /** MultiplyLoop: its term count. */
    private final int[] termCounts;
    private final int[] minOffsets;
    private final int[] maxOffsets;
    private final int[] termOffsets;
    private final int[] termFactors;

    /**
     * Prepares a program for interpretation.
     *
     * @param program the program
     * @throws NullPointerException if {@code program} is null
     */
    public BrainfuckInterpreter(BrainfuckProgram program) {
        this.program = Objects.requireNonNull(program, "program");
        List<Instruction> instructions = program.instructions();
        int n = instructions.size();
        opcodes = new int[n];
        arguments = new int[n];
        termCounts = new int[n];
        minOffsets = new int[n];
        maxOffsets = new int[n];
        int terms = instructions.stream()
                .mapToInt(i -> i instanceof Instruction.MultiplyLoop m ? m.terms().size() : 0).sum();
        termOffsets = new int[terms];
        termFactors = new int[terms];
        int term = 0;
        for (int pc = 0; pc < n; pc++) {
            switch (instructions.get(pc)) {
                case Instruction.Add add -> set(pc, ADD, add.delta());
                case Instruction.Move move -> set(pc, MOVE, move.cells());
                case Instruction.Clear ignored -> set(pc, CLEAR, 0);
                case Instruction.MultiplyLoop loop -> {
                    set(pc, MULTIPLY, term);
                    termCounts[pc] = loop.terms().size();
                    minOffsets[pc] = loop.minOffset();
                    maxOffsets[pc] = loop.maxOffset();
                    for (Instruction.Term t : loop.terms()) {
                        termOffsets[term] = t.offset();
                        termFactors[term++] = t.factor();
                    }
                }
                case Instruction.Output ignored -> set(pc, OUTPUT, 0);
                case Instruction.Input ignored -> set(pc, INPUT, 0);
                case Instruction.LoopStart start -> set(pc, LOOP_START, start.end());
                case Instruction.LoopEnd end -> set(pc, LOOP_END, end.start());
            }
        }
    }

    private void set(int pc, int opcode, int argument) {
        opcodes[pc] = opcode;
        arguments[pc] = argument;
    }

    @Override
    public void run(Tape tape, InputStream in, OutputStream out) throws IOException {
        Objects.requireNonNull(tape, "tape");
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(out, "out");
        BufferedOutputStream buffered = new BufferedOutputStream(out, 8192);
        try {
            execute(tape.segment(), tape.cells(), 0, 0, in, buffered);
        } finally {
            buffered.flush();
        }
    }

    /**
     * Runs the program from instruction {@code start} with the pointer at cell {@code cell}: from the start,
     * or where compiled code handed a run over.
     */
    void execute(MemorySegment cells, long cellCount, int start, long cell, InputStream in, OutputStream out)
            throws IOException {
        int[] op = opcodes;
        int[] arg = arguments;
        int n = op.length;
        long p = cell;
        for (int pc = start; pc < n; pc++) {
            switch (op[pc]) {
                case ADD -> cells.set(CELL, p, (byte) (cells.get(CELL, p) + arg[pc]));
                case MOVE -> {
                    long q = p + arg[pc];
                    if (q < 0 || q >= cellCount) {
                        throw outOfRange(pc, cellCount);
                    }
                    p = q;
                }
                case CLEAR -> cells.set(CELL, p, (byte) 0);
                case MULTIPLY -> {
                    byte value = cells.get(CELL, p);
                    if (value != 0) {
                        if (p + minOffsets[pc] < 0 || p + maxOffsets[pc] >= cellCount) {
                            throw outOfRange(pc, cellCount);
                        }
                        for (int t = arg[pc], end = t + termCounts[pc]; t < end; t++) {
                            long target = p + termOffsets[t];
                            cells.set(CELL, target, (byte) (cells.get(CELL, target) + value * termFactors[t]));
                        }
                        cells.set(CELL, p, (byte) 0);
                    }
                }
                case OUTPUT -> out.write(cells.get(CELL, p));
                case INPUT -> {
                    int read = in.read();
                    if (read >= 0) {
                        cells.set(CELL, p, (byte) read);
                    }
                }
                case LOOP_START -> {
                    if (cells.get(CELL, p) == 0) {
                        pc = arg[pc];
                    }
                }
                case LOOP_END -> {
                    if (cells.get(CELL, p) != 0) {
                        pc = arg[pc];
                    }
                }
                default -> throw new AssertionError("opcode " + op[pc]);
            }
        }
    }

    private TapeOutOfRangeException outOfRange(int pc, long cellCount) {
        return new TapeOutOfRangeException(pc, program.position(pc), cellCount);
    }

    @Override
    public String describe() {
        return "interpreter (plain Java over the IR)";
    }
}
