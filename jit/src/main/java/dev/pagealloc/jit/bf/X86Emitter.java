package dev.pagealloc.jit.bf;

import java.util.Arrays;

/**
 * The few x86-64 instructions the Brainfuck code generator needs, encoded by hand. Register use is fixed
 * by {@link X86CodeGenerator}: {@code rbx} the tape base, {@code r12} the cell index, {@code r13} the tape
 * length in cells, {@code r14}/{@code r15} the output/input upcalls; all callee-saved in the System V ABI,
 * so the upcalls preserve them. The current cell is the operand {@code byte [rbx + r12 + disp]}.
 *
 * <p>Encodings: Intel SDM vol. 2 (ModRM/SIB tables 2-2 and 2-3, REX prefix 2.2.1). The cell operand is
 * REX.X (r12 as SIB index), SIB {@code 0x23} (scale 1, index r12, base rbx), with mod 00, 01 or 10 for
 * no, 8-bit or 32-bit displacement. Not thread-safe.
 */
final class X86Emitter {
    private static final int REX_X = 0x42;
    private static final int SIB_RBX_R12 = 0x23;

    private byte[] code = new byte[4096];
    private int size;

    /** {@return the bytes emitted so far} */
    byte[] toByteArray() {
        return Arrays.copyOf(code, size);
    }

    /** {@return the offset of the next byte} */
    int position() {
        return size;
    }

    void raw(int... values) {
        if (size + values.length > code.length) {
            code = Arrays.copyOf(code, Math.max(code.length * 2, size + values.length));
        }
        for (int v : values) {
            code[size++] = (byte) v;
        }
    }

    void int32(int value) {
        raw(value, value >>> 8, value >>> 16, value >>> 24);
    }

    /** ModRM, SIB and displacement of {@code [rbx + r12 + disp]} with {@code reg} in ModRM.reg. */
    private void cellOperand(int reg, int disp) {
        if (disp == 0) {
            raw(reg << 3 | 0b100, SIB_RBX_R12);
        } else if (disp >= Byte.MIN_VALUE && disp <= Byte.MAX_VALUE) {
            raw(0b01 << 6 | reg << 3 | 0b100, SIB_RBX_R12, disp);
        } else {
            raw(0b10 << 6 | reg << 3 | 0b100, SIB_RBX_R12);
            int32(disp);
        }
    }

    /** {@code add byte [cell+disp], imm8} (80 /0 ib). */
    void addCell(int disp, int imm8) {
        raw(REX_X, 0x80);
        cellOperand(0, disp);
        raw(imm8);
    }

    /** {@code mov byte [cell+disp], imm8} (C6 /0 ib). */
    void storeCell(int disp, int imm8) {
        raw(REX_X, 0xC6);
        cellOperand(0, disp);
        raw(imm8);
    }

    /** {@code mov byte [cell+disp], al} (88 /r). */
    void storeCellFromAl(int disp) {
        raw(REX_X, 0x88);
        cellOperand(0, disp);
    }

    /** {@code add byte [cell+disp], dl} (00 /r, dl = 2). */
    void addDlToCell(int disp) {
        raw(REX_X, 0x00);
        cellOperand(2, disp);
    }

    /** {@code cmp byte [cell+disp], 0} (80 /7 ib). */
    void compareCellWithZero(int disp) {
        raw(REX_X, 0x80);
        cellOperand(7, disp);
        raw(0);
    }

    /** {@code movzx eax, byte [cell+disp]} (0F B6 /r, eax = 0). */
    void loadCellToEax(int disp) {
        raw(REX_X, 0x0F, 0xB6);
        cellOperand(0, disp);
    }

    /** {@code movzx edi, byte [cell+disp]} (0F B6 /r, edi = 7): the first integer argument of a call. */
    void loadCellToEdi(int disp) {
        raw(REX_X, 0x0F, 0xB6);
        cellOperand(7, disp);
    }

    /** {@code imul edx, eax, imm32} (69 /r id). */
    void multiplyEaxIntoEdx(int imm32) {
        raw(0x69, 0xD0);
        int32(imm32);
    }

    /** {@code add r12, imm32} (REX.W+B 81 /0 id). */
    void addToIndex(int imm32) {
        raw(0x49, 0x81, 0xC4);
        int32(imm32);
    }

    /** {@code cmp r12, r13} (REX.W+R+B 39 /r): unsigned {@code index >= cells} (negative included) sets CF=0. */
    void compareIndexWithCells() {
        raw(0x4D, 0x39, 0xEC);
    }

    /** {@code lea rcx, [r12 + disp32]} (REX.W+B 8D /r, SIB 0x24: base r12, no index). */
    void indexPlusOffsetToRcx(int disp32) {
        raw(0x49, 0x8D, 0x8C, 0x24);
        int32(disp32);
    }

    /** {@code cmp rcx, r13} (REX.W+R 39 /r). */
    void compareRcxWithCells() {
        raw(0x4C, 0x39, 0xE9);
    }

    /** {@code call r14} (REX.B FF /2). */
    void callR14() {
        raw(0x41, 0xFF, 0xD6);
    }

    /** {@code call r15} (REX.B FF /2). */
    void callR15() {
        raw(0x41, 0xFF, 0xD7);
    }

    /**
     * {@code rax = r12 << 32 | (uint32) code}: the cell index and a result code in one return value
     * ({@code mov rax, r12}: REX.W+R 89 /r; {@code shl rax, 32}: REX.W C1 /4 ib; {@code mov ecx, imm32}
     * zero-extends: B9 id; {@code or rax, rcx}: REX.W 09 /r).
     */
    void indexAndCodeToRax(int code) {
        raw(0x4C, 0x89, 0xE0, 0x48, 0xC1, 0xE0, 0x20, 0xB9);
        int32(code);
        raw(0x48, 0x09, 0xC8);
    }

    /** {@code test eax, eax} (85 /r). */
    void testEax() {
        raw(0x85, 0xC0);
    }

    /** {@code cmp eax, imm8} (83 /7 ib, sign-extended). */
    void compareEax(int imm8) {
        raw(0x83, 0xF8, imm8);
    }

    /** {@code mov eax, imm32} (B8 id). */
    void moveToEax(int imm32) {
        raw(0xB8);
        int32(imm32);
    }

    /** {@code xor eax, eax} (31 /r). */
    void zeroEax() {
        raw(0x31, 0xC0);
    }

    /** The condition codes of {@code Jcc rel32} (0F 80+cc). */
    enum Condition {
        /** Jump if equal (ZF=1). */
        EQUAL(0x84),
        /** Jump if not equal (ZF=0). */
        NOT_EQUAL(0x85),
        /** Jump if above or equal, unsigned (CF=0). */
        ABOVE_OR_EQUAL(0x83),
        /** Jump if less, signed (SF != OF). */
        LESS(0x8C);

        final int opcode;

        Condition(int opcode) {
            this.opcode = opcode;
        }
    }

    /**
     * Emits {@code Jcc rel32} with a zero displacement.
     *
     * @return the offset of the displacement, for {@link #patchJump}
     */
    int jump(Condition condition) {
        raw(0x0F, condition.opcode);
        int at = position();
        int32(0);
        return at;
    }

    /**
     * Emits {@code jmp rel32} with a zero displacement.
     *
     * @return the offset of the displacement, for {@link #patchJump}
     */
    int jump() {
        raw(0xE9);
        int at = position();
        int32(0);
        return at;
    }

    /** Makes the jump whose displacement is at {@code displacementAt} land on {@code target}. */
    void patchJump(int displacementAt, int target) {
        int rel = target - (displacementAt + 4);
        for (int i = 0; i < 4; i++) {
            code[displacementAt + i] = (byte) (rel >>> (8 * i));
        }
    }
}
