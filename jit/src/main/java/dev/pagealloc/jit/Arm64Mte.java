package dev.pagealloc.jit;

import java.io.ByteArrayOutputStream;

/**
 * A64 encodings of the Memory Tagging Extension's tag instructions, and the small stubs pagealloc runs
 * to set and read tags (C ABI: arguments in {@code x0}, {@code x1}; the result in {@code x0}).
 *
 * <p>Encodings from the Arm Architecture Reference Manual for A-profile (DDI 0487), section C6.2 (the
 * alphabetical list of A64 base instructions: IRG, LDG, STG, ST2G, SUBS (immediate), B.cond, RET);
 * the unit test checks each bit for bit against the values LLVM's assembler emits
 * ({@code llvm/test/MC/AArch64/armv8.5a-mte.s}). Immutable; thread-safe.
 */
public final class Arm64Mte {
    /** {@code ret} (x30). */
    public static final int RET = 0xD65F03C0;
    /** The zero register / stack pointer number (31). */
    public static final int XZR = 31;

    private static final int IRG = 0x9AC01000;
    private static final int LDG = 0xD9600000;
    private static final int STG = 0xD9200000;
    private static final int ST2G = 0xD9A00000;
    private static final int SUBS_IMMEDIATE = 0xF1000000;
    private static final int B_COND = 0x54000000;
    /** B.cond's NE condition (Z clear). */
    private static final int NE = 0x1;

    private Arm64Mte() {
    }

    /** How a tag store addresses memory: bits 11:10 of STG and ST2G. */
    public enum Indexing {
        /** {@code [Xn], #simm}: store at Xn, then add simm to Xn. */
        POST_INDEX(0b01),
        /** {@code [Xn, #simm]}: store at Xn + simm. */
        SIGNED_OFFSET(0b10),
        /** {@code [Xn, #simm]!}: add simm to Xn, then store there. */
        PRE_INDEX(0b11);

        private final int bits;

        Indexing(int bits) {
            this.bits = bits;
        }
    }

    /**
     * {@return {@code IRG Xd, Xn, Xm}}: Xd = Xn with a random tag not in Xm's exclusion bits (nor
     * {@code GCR_EL1.Exclude}) inserted in bits 59:56
     *
     * @param rd destination, 0..31 (31 is SP)
     * @param rn source address, 0..31 (31 is SP)
     * @param rm exclusion mask register, 0..31 (31 is XZR: nothing excluded)
     */
    public static int irg(int rd, int rn, int rm) {
        return IRG | register(rm) << 16 | register(rn) << 5 | register(rd);
    }

    /**
     * {@return {@code LDG Xt, [Xn, #simm]}}: loads the tag of the granule at Xn + simm into bits 59:56 of Xt
     *
     * @param rt destination, 0..30 (31 is XZR)
     * @param rn base, 0..31 (31 is SP)
     * @param byteOffset a multiple of 16 in [-4096, 4080]
     */
    public static int ldg(int rt, int rn, int byteOffset) {
        return LDG | simm9(byteOffset) << 12 | register(rn) << 5 | register(rt);
    }

    /**
     * {@return {@code STG Xt, [Xn...]}}: stores Xt's tag (bits 59:56) to one 16-byte granule
     *
     * @param rt the tagged register, 0..31 (31 is SP)
     * @param rn base, 0..31 (31 is SP)
     * @param byteOffset a multiple of 16 in [-4096, 4080]
     * @param indexing the addressing form
     */
    public static int stg(int rt, int rn, int byteOffset, Indexing indexing) {
        return STG | simm9(byteOffset) << 12 | indexing.bits << 10 | register(rn) << 5 | register(rt);
    }

    /**
     * {@return {@code ST2G Xt, [Xn...]}}: stores Xt's tag to two consecutive granules (32 bytes)
     *
     * @param rt the tagged register, 0..31 (31 is SP)
     * @param rn base, 0..31 (31 is SP)
     * @param byteOffset a multiple of 16 in [-4096, 4080]
     * @param indexing the addressing form
     */
    public static int st2g(int rt, int rn, int byteOffset, Indexing indexing) {
        return ST2G | simm9(byteOffset) << 12 | indexing.bits << 10 | register(rn) << 5 | register(rt);
    }

    /**
     * {@return {@code SUBS Xd, Xn, #imm}} (64-bit, unshifted immediate)
     *
     * @param rd destination, 0..31 (31 is XZR)
     * @param rn source, 0..31 (31 is SP)
     * @param immediate 0..4095
     */
    public static int subs(int rd, int rn, int immediate) {
        if (immediate < 0 || immediate > 4095) {
            throw new IllegalArgumentException("subs(immediate=" + immediate + "): must be 0..4095");
        }
        return SUBS_IMMEDIATE | immediate << 10 | register(rn) << 5 | register(rd);
    }

    /**
     * {@return {@code B.NE label}}, the label {@code instructions} instructions away (negative: backwards)
     *
     * @param instructions the distance, in instructions, within +-2^18
     */
    public static int bne(int instructions) {
        if (instructions < -(1 << 18) || instructions >= 1 << 18) {
            throw new IllegalArgumentException("bne(instructions=" + instructions + "): must be within +-2^18");
        }
        return B_COND | (instructions & 0x7FFFF) << 5 | NE;
    }

    /** {@return {@code long irg(long address, long excludeMask)}: {@code irg x0, x0, x1; ret}} */
    public static byte[] irgStub() {
        return code(irg(0, 0, 1), RET);
    }

    /** {@return {@code long ldg(long address)}: the address with its granule's tag; {@code ldg x0, [x0]; ret}} */
    public static byte[] ldgStub() {
        return code(ldg(0, 0, 0), RET);
    }

    /**
     * {@return {@code void stgRange(long taggedAddress, long byteLength)}} for a length that is a positive
     * multiple of 16: {@code loop: stg x0, [x0], #16; subs x1, x1, #16; b.ne loop; ret}
     */
    public static byte[] stgRangeStub() {
        return code(stg(0, 0, 16, Indexing.POST_INDEX), subs(1, 1, 16), bne(-2), RET);
    }

    /**
     * {@return {@code void st2gRange(long taggedAddress, long byteLength)}} for a length that is a positive
     * multiple of 32: {@code loop: st2g x0, [x0], #32; subs x1, x1, #32; b.ne loop; ret}
     */
    public static byte[] st2gRangeStub() {
        return code(st2g(0, 0, 32, Indexing.POST_INDEX), subs(1, 1, 32), bne(-2), RET);
    }

    /**
     * {@return the instructions as little-endian bytes} (A64 instructions are little-endian words)
     *
     * @param instructions the encoded instructions
     */
    public static byte[] code(int... instructions) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(instructions.length * 4);
        for (int instruction : instructions) {
            out.write(instruction);
            out.write(instruction >>> 8);
            out.write(instruction >>> 16);
            out.write(instruction >>> 24);
        }
        return out.toByteArray();
    }

    private static int register(int number) {
        if (number < 0 || number > 31) {
            throw new IllegalArgumentException("register " + number + ": A64 registers are 0..31");
        }
        return number;
    }

    private static int simm9(int byteOffset) {
        if ((byteOffset & 15) != 0 || byteOffset < -4096 || byteOffset > 4080) {
            throw new IllegalArgumentException("byteOffset=" + byteOffset
                    + ": tag instructions take a multiple of 16 in [-4096, 4080]");
        }
        return (byteOffset >> 4) & 0x1FF;
    }
}
