package dev.pagealloc.jit.bf;

import dev.pagealloc.jit.bf.X86Emitter.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Translates a program's IR into one x86-64 function, System V ABI:
 * {@code int64_t run(uint8_t *tape, int64_t cells, int (*put)(int), int (*get)(void))}.
 *
 * <h2>Straight runs with one bounds check</h2>
 * The IR between two loop brackets is a straight run. Its moves are not executed one by one: the generator
 * tracks where the pointer would be relative to the run's start and addresses every cell at that
 * displacement, moving the index register once, at the run's end. So the check of every move becomes one
 * check at the run's entry, of the leftmost and rightmost cells the run's moves reach, compared unsigned
 * with {@code cells} before the tape is touched. When that check fails the code returns at once, before the
 * run, with the run's first instruction and the cell index, and Java finishes the program in the interpreter
 * from exactly there, which reports the move that leaves the tape ({@link CompiledBrainfuck}): the same
 * {@link TapeOutOfRangeException}, with the same cells written, as if every move had been checked in turn.
 * A {@link Instruction.MultiplyLoop}'s reach is checked where it stands, since it counts only when its cell
 * is not 0. No access ever leaves {@code [tape, tape + cells)}.
 *
 * <h2>Result</h2>
 * The low 32 bits are a code: {@link #RESULT_DONE} when the program ends; {@code i + 1} when the multiply
 * loop at instruction {@code i} would reach outside the tape; {@link #RESULT_IO_STOPPED} when an upcall asked
 * it to stop ({@code put} returns non-zero, or {@code get} returns less than -1; {@code get} returns the
 * byte read, or -1 at the end of input, which leaves the cell unchanged); {@code -(i + 2)} when the straight
 * run starting at instruction {@code i} would leave the tape. The high 32 bits are then the cell index.
 *
 * <p>Registers (System V AMD64 ABI, 3.2.1 "Registers and the Stack Frame": {@code rbx}, {@code rbp},
 * {@code r12}-{@code r15} are callee-saved): {@code rbx} tape, {@code r12} cell index at the run's start,
 * {@code r13} cells, {@code r14} put, {@code r15} get, so nothing needs saving around the upcalls. Five pushes
 * after the return address leave {@code rsp} 16-byte aligned at every call, as 3.2.2 requires.
 *
 * <p>Stateless and thread-safe.
 */
final class X86CodeGenerator {
    /** The program ran to its end. */
    static final int RESULT_DONE = 0;
    /** An upcall asked the code to stop (it failed in Java). */
    static final int RESULT_IO_STOPPED = -1;
    /** A straight run wider than this (in cells) checks each move instead, keeping displacements in 32 bits. */
    private static final long MAX_RUN_REACH = 1 << 24;

    private X86CodeGenerator() {}

    /** {@return the instruction a straight-run code {@code code < -1} names} */
    static int runStart(int code) {
        return -code - 2;
    }

    /**
     * {@return the machine code of {@code program}}
     *
     * @param program the program
     */
    static byte[] generate(BrainfuckProgram program) {
        return new Generation(program).emit();
    }

    /** One generation: the emitter, the loops' jumps and the failure paths still to emit. */
    private static final class Generation {
        private final List<Instruction> instructions;
        private final X86Emitter x = new X86Emitter();
        private final Map<Integer, List<Integer>> outOfRange = new TreeMap<>();
        private final Map<Integer, List<Integer>> runOutOfRange = new TreeMap<>();
        private final List<Integer> ioStopped = new ArrayList<>();
        private final int[] loopExit;
        private final int[] loopBody;
        /** The pointer's displacement from r12 within the current run, in cells. */
        private int offset;
        /** Whether the current run checks each move (a run too wide for displacements). */
        private boolean checkEachMove;

        Generation(BrainfuckProgram program) {
            instructions = program.instructions();
            loopExit = new int[instructions.size()];
            loopBody = new int[instructions.size()];
        }

        byte[] emit() {
            // push rbx; push r12; push r13; push r14; push r15
            x.raw(0x53, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57);
            // mov rbx, rdi; mov r13, rsi; mov r14, rdx; mov r15, rcx; xor r12d, r12d
            x.raw(0x48, 0x89, 0xFB, 0x49, 0x89, 0xF5, 0x49, 0x89, 0xD6, 0x49, 0x89, 0xCF, 0x45, 0x31, 0xE4);
            startRun(0);
            for (int pc = 0; pc < instructions.size(); pc++) {
                instruction(pc);
            }
            flush();
            x.moveToEax(RESULT_DONE);
            int epilogue = x.position();
            // pop r15; pop r14; pop r13; pop r12; pop rbx; ret
            x.raw(0x41, 0x5F, 0x41, 0x5E, 0x41, 0x5D, 0x41, 0x5C, 0x5B, 0xC3);

            // Failure paths out of line, so the hot path falls through every check.
            outOfRange.forEach((pc, jumps) -> {
                jumps.forEach(jump -> x.patchJump(jump, x.position()));
                x.moveToEax(pc + 1);
                x.patchJump(x.jump(), epilogue);
            });
            runOutOfRange.forEach((pc, jumps) -> {
                jumps.forEach(jump -> x.patchJump(jump, x.position()));
                x.indexAndCodeToRax(-(pc + 2));
                x.patchJump(x.jump(), epilogue);
            });
            if (!ioStopped.isEmpty()) {
                ioStopped.forEach(jump -> x.patchJump(jump, x.position()));
                x.moveToEax(RESULT_IO_STOPPED);
                x.patchJump(x.jump(), epilogue);
            }
            return x.toByteArray();
        }

        private void instruction(int pc) {
            switch (instructions.get(pc)) {
                case Instruction.Add add -> x.addCell(offset, add.delta());
                case Instruction.Move move -> {
                    if (checkEachMove) {
                        x.addToIndex(move.cells());
                        x.compareIndexWithCells();
                        failure(outOfRange, pc, x.jump(Condition.ABOVE_OR_EQUAL));
                    } else {
                        offset += move.cells();
                    }
                }
                case Instruction.Clear ignored -> x.storeCell(offset, 0);
                case Instruction.MultiplyLoop loop -> multiply(pc, loop);
                case Instruction.Output ignored -> {
                    x.loadCellToEdi(offset);
                    x.callR14();
                    x.testEax();
                    ioStopped.add(x.jump(Condition.NOT_EQUAL));
                }
                case Instruction.Input ignored -> {
                    x.callR15();
                    x.compareEax(-1);
                    int endOfInput = x.jump(Condition.EQUAL);
                    ioStopped.add(x.jump(Condition.LESS));
                    x.storeCellFromAl(offset);
                    x.patchJump(endOfInput, x.position());
                }
                case Instruction.LoopStart ignored -> {
                    flush();
                    x.compareCellWithZero(0);
                    loopExit[pc] = x.jump(Condition.EQUAL);
                    loopBody[pc] = x.position();
                    startRun(pc + 1);
                }
                case Instruction.LoopEnd end -> {
                    flush();
                    x.compareCellWithZero(0);
                    x.patchJump(x.jump(Condition.NOT_EQUAL), loopBody[end.start()]);
                    x.patchJump(loopExit[end.start()], x.position());
                    startRun(pc + 1);
                }
            }
        }

        private void multiply(int pc, Instruction.MultiplyLoop loop) {
            x.compareCellWithZero(offset);
            int skip = x.jump(Condition.EQUAL);
            for (int reach : new int[] {loop.minOffset(), loop.maxOffset()}) {
                if (reach != 0) {
                    x.indexPlusOffsetToRcx(offset + reach);
                    x.compareRcxWithCells();
                    failure(outOfRange, pc, x.jump(Condition.ABOVE_OR_EQUAL));
                }
            }
            x.loadCellToEax(offset);
            for (Instruction.Term term : loop.terms()) {
                x.multiplyEaxIntoEdx(term.factor());
                x.addDlToCell(offset + term.offset());
            }
            x.storeCell(offset, 0);
            x.patchJump(skip, x.position());
        }

        /** Checks, at the start of the run beginning at {@code first}, every cell its moves reach. */
        private void startRun(int first) {
            long position = 0;
            long min = 0;
            long max = 0;
            for (int pc = first; pc < instructions.size(); pc++) {
                Instruction instruction = instructions.get(pc);
                if (instruction instanceof Instruction.LoopStart || instruction instanceof Instruction.LoopEnd) {
                    break;
                }
                if (instruction instanceof Instruction.Move move) {
                    position += move.cells();
                    min = Math.min(min, position);
                    max = Math.max(max, position);
                }
            }
            offset = 0;
            checkEachMove = max - min > MAX_RUN_REACH;
            if (checkEachMove) {
                return;
            }
            for (long reach : new long[] {min, max}) {
                if (reach != 0) {
                    x.indexPlusOffsetToRcx((int) reach);
                    x.compareRcxWithCells();
                    failure(runOutOfRange, first, x.jump(Condition.ABOVE_OR_EQUAL));
                }
            }
        }

        /** Moves the index to where the run's moves left the pointer; the run's entry check covered it. */
        private void flush() {
            if (offset != 0) {
                x.addToIndex(offset);
                offset = 0;
            }
        }

        private static void failure(Map<Integer, List<Integer>> failures, int pc, int jump) {
            failures.computeIfAbsent(pc, k -> new ArrayList<>()).add(jump);
        }
    }
}
