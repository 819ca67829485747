package dev.pagealloc.jit.bf;

import dev.pagealloc.jit.bf.X86Emitter.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Translates a program's IR into one x86-64 function, System V ABI:
 * {@code int run(uint8_t *tape, int64_t cells, int (*put)(int), int (*get)(void))}.
 *
 * <p>It returns {@link #RESULT_DONE} when the program ends, {@code i + 1} when instruction {@code i} would
 * leave the tape (every {@link Instruction.Move} and every {@link Instruction.MultiplyLoop}'s reach is
 * compared, unsigned, with {@code cells} before the tape is touched, so no access ever leaves
 * {@code [tape, tape + cells)}), and {@link #RESULT_IO_STOPPED} when an upcall asked it to stop:
 * {@code put} returns non-zero, or {@code get} returns less than -1 ({@code get} returns the byte read,
 * or -1 at the end of input, which leaves the cell unchanged).
 *
 * <p>Registers (System V AMD64 ABI, 3.2.1 "Registers and the Stack Frame": {@code rbx}, {@code rbp},
 * {@code r12}-{@code r15} are callee-saved): {@code rbx} tape, {@code r12} cell index, {@code r13} cells,
 * {@code r14} put, {@code r15} get, so nothing needs saving around the upcalls. Five pushes after the
 * return address leave {@code rsp} 16-byte aligned at every call, as 3.2.2 requires.
 *
 * <p>Stateless and thread-safe.
 */
final class X86CodeGenerator {
    /** The program ran to its end. */
    static final int RESULT_DONE = 0;
    /** An upcall asked the code to stop (it failed in Java). */
    static final int RESULT_IO_STOPPED = -1;

    private X86CodeGenerator() {}

    /**
     * {@return the machine code of {@code program}}
     *
     * @param program the program
     */
    static byte[] generate(BrainfuckProgram program) {
        X86Emitter x = new X86Emitter();
        // push rbx; push r12; push r13; push r14; push r15
        x.raw(0x53, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57);
        // mov rbx, rdi; mov r13, rsi; mov r14, rdx; mov r15, rcx; xor r12d, r12d
        x.raw(0x48, 0x89, 0xFB, 0x49, 0x89, 0xF5, 0x49, 0x89, 0xD6, 0x49, 0x89, 0xCF, 0x45, 0x31, 0xE4);

        List<Instruction> instructions = program.instructions();
        Map<Integer, List<Integer>> outOfRange = new TreeMap<>();
        List<Integer> ioStopped = new ArrayList<>();
        int[] loopExit = new int[instructions.size()];
        int[] loopBody = new int[instructions.size()];
        for (int pc = 0; pc < instructions.size(); pc++) {
            int at = pc;
            switch (instructions.get(pc)) {
                case Instruction.Add add -> x.addCell(0, add.delta());
                case Instruction.Move move -> {
                    x.addToIndex(move.cells());
                    x.compareIndexWithCells();
                    outOfRange.computeIfAbsent(at, k -> new ArrayList<>()).add(x.jump(Condition.ABOVE_OR_EQUAL));
                }
                case Instruction.Clear ignored -> x.storeCell(0, 0);
                case Instruction.MultiplyLoop loop -> {
                    x.compareCellWithZero();
                    int skip = x.jump(Condition.EQUAL);
                    for (int reach : new int[] {loop.minOffset(), loop.maxOffset()}) {
                        if (reach != 0) {
                            x.indexPlusOffsetToRcx(reach);
                            x.compareRcxWithCells();
                            outOfRange.computeIfAbsent(at, k -> new ArrayList<>())
                                    .add(x.jump(Condition.ABOVE_OR_EQUAL));
                        }
                    }
                    x.loadCellToEax();
                    for (Instruction.Term term : loop.terms()) {
                        x.multiplyEaxIntoEdx(term.factor());
                        x.addDlToCell(term.offset());
                    }
                    x.storeCell(0, 0);
                    x.patchJump(skip, x.position());
                }
                case Instruction.Output ignored -> {
                    x.loadCellToEdi();
                    x.callR14();
                    x.testEax();
                    ioStopped.add(x.jump(Condition.NOT_EQUAL));
                }
                case Instruction.Input ignored -> {
                    x.callR15();
                    x.compareEax(-1);
                    int endOfInput = x.jump(Condition.EQUAL);
                    ioStopped.add(x.jump(Condition.LESS));
                    x.storeCellFromAl();
                    x.patchJump(endOfInput, x.position());
                }
                case Instruction.LoopStart ignored -> {
                    x.compareCellWithZero();
                    loopExit[pc] = x.jump(Condition.EQUAL);
                    loopBody[pc] = x.position();
                }
                case Instruction.LoopEnd end -> {
                    x.compareCellWithZero();
                    x.patchJump(x.jump(Condition.NOT_EQUAL), loopBody[end.start()]);
                    x.patchJump(loopExit[end.start()], x.position());
                }
            }
        }
        x.moveToEax(RESULT_DONE);
        int epilogue = x.position();
        // pop r15; pop r14; pop r13; pop r12; pop rbx; ret
        x.raw(0x41, 0x5F, 0x41, 0x5E, 0x41, 0x5D, 0x41, 0x5C, 0x5B, 0xC3);

        // Failure paths out of line, so the hot path falls through every check.
        for (Map.Entry<Integer, List<Integer>> failure : outOfRange.entrySet()) {
            stub(x, failure.getValue(), failure.getKey() + 1, epilogue);
        }
        if (!ioStopped.isEmpty()) {
            stub(x, ioStopped, RESULT_IO_STOPPED, epilogue);
        }
        return x.toByteArray();
    }

    private static void stub(X86Emitter x, List<Integer> jumps, int result, int epilogue) {
        for (int jump : jumps) {
            x.patchJump(jump, x.position());
        }
        x.moveToEax(result);
        x.patchJump(x.jump(), epilogue);
    }
}
