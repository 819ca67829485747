package dev.pagealloc.bench;

import dev.pagealloc.api.Capabilities.WxStrategy;
import dev.pagealloc.jit.JitMemory;
import java.util.Arrays;

/** x86-64 code and JIT memories shared by the JIT benchmarks. */
final class JitCode {
    private JitCode() {}

    /** {@code mov eax, value; ret}. */
    static byte[] returnInt(int value) {
        return new byte[] {(byte) 0xB8, (byte) value, (byte) (value >>> 8), (byte) (value >>> 16),
            (byte) (value >>> 24), (byte) 0xC3};
    }

    /** {@code lea rax, [rdi + rsi]; ret}: {@code (long, long) long} addition, System V. */
    static final byte[] ADD_LONGS = {0x48, (byte) 0x8D, 0x04, 0x37, (byte) 0xC3};

    /** 4 KiB of code: {@code mov eax, 42; ret}, then {@code int3} padding. */
    static byte[] fourKiB() {
        byte[] code = new byte[4096];
        Arrays.fill(code, (byte) 0xCC);
        System.arraycopy(returnInt(42), 0, code, 0, 6);
        return code;
    }

    static JitMemory memory(WxStrategy strategy) {
        return JitMemory.builder().withStrategy(strategy).build();
    }
}
