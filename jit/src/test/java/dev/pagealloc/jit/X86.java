package dev.pagealloc.jit;

/** x86-64 machine code for the tests, System V calling convention (arguments in rdi, rsi; result in rax). */
final class X86 {
    private X86() {}

    /** {@code mov eax, imm32; ret}: returns {@code value}. */
    static byte[] returnInt(int value) {
        return new byte[] {(byte) 0xB8, (byte) value, (byte) (value >>> 8), (byte) (value >>> 16),
            (byte) (value >>> 24), (byte) 0xC3};
    }

    /** {@code lea rax, [rdi + rsi]; ret}: returns the sum of two longs. */
    static final byte[] ADD_LONGS = {0x48, (byte) 0x8D, 0x04, 0x37, (byte) 0xC3};

    /**
     * {@code sub rsp, 8; mov rax, rdi; mov rdi, rsi; call rax; add rsp, 8; add rax, 1; ret}: calls the
     * function pointer in its first argument with its second, and returns the result plus one. The stack
     * stays 16-byte aligned at the call, as the ABI asks.
     */
    static final byte[] CALL_PLUS_ONE = {
        0x48, (byte) 0x83, (byte) 0xEC, 0x08,
        0x48, (byte) 0x89, (byte) 0xF8,
        0x48, (byte) 0x89, (byte) 0xF7,
        (byte) 0xFF, (byte) 0xD0,
        0x48, (byte) 0x83, (byte) 0xC4, 0x08,
        0x48, (byte) 0x83, (byte) 0xC0, 0x01,
        (byte) 0xC3};

    /** {@code mov byte [rdi], 0; ret}: writes a zero byte at the address in its first argument. */
    static final byte[] STORE_ZERO = {(byte) 0xC6, 0x07, 0x00, (byte) 0xC3};

    static boolean isHost() {
        return InstructionCache.isX86(System.getProperty("os.arch"))
                && System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("linux");
    }
}
