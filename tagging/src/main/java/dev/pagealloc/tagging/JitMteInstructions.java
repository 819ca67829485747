package dev.pagealloc.tagging;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.pagealloc.jit.Arm64Mte;
import dev.pagealloc.jit.CodeBuffer;
import dev.pagealloc.jit.JitMemory;
import dev.pagealloc.spi.NativeAccess;
import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;

/**
 * {@link MteInstructions} as four generated arm64 stubs ({@link Arm64Mte}: {@code irg}, {@code ldg}, an
 * {@code stg} loop and an {@code st2g} loop) installed in executable memory and called through downcall
 * handles. Never run: pagealloc has not been on MTE hardware yet.
 *
 * <p>Thread-safe (the stubs keep no state).
 */
public final class JitMteInstructions implements MteInstructions {
    private final MethodHandle irg;
    private final MethodHandle ldg;
    private final MethodHandle stgRange;
    private final MethodHandle st2gRange;

    private JitMteInstructions(JitMemory jit) {
        FunctionDescriptor twoToOne = FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG);
        this.irg = install(jit, Arm64Mte.irgStub()).handle(twoToOne);
        this.ldg = install(jit, Arm64Mte.ldgStub()).handle(FunctionDescriptor.of(JAVA_LONG, JAVA_LONG));
        this.stgRange = install(jit, Arm64Mte.stgRangeStub()).handle(FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_LONG));
        this.st2gRange = install(jit, Arm64Mte.st2gRangeStub()).handle(FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_LONG));
    }

    private static CodeBuffer install(JitMemory jit, byte[] code) {
        return jit.install(code);
    }

    /**
     * <b>Restricted.</b> The stubs read and write allocation tags at any address they are given: a wrong one
     * faults and kills the JVM. Installs them in {@code jit}'s executable memory.
     *
     * @param jit the executable memory for the stubs
     * @return the instructions
     * @throws IllegalCallerException if the caller's module lacks native access
     * @throws UnsupportedOperationException if this is not arm64, naming {@code os.arch}
     */
    public static JitMteInstructions install(JitMemory jit) {
        NativeAccess.ensureCallerHasNativeAccess("JitMteInstructions.install");
        String arch = System.getProperty("os.arch");
        if (!"aarch64".equals(arch)) {
            throw new UnsupportedOperationException("JitMteInstructions.install(): MTE instructions are arm64 code;"
                    + " os.arch is " + arch);
        }
        return new JitMteInstructions(jit);
    }

    @Override
    public long irg(long address, long excludeMask) {
        try {
            return (long) irg.invokeExact(address, excludeMask);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public long ldg(long address) {
        try {
            return (long) ldg.invokeExact(address);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public void setTags(long taggedAddress, long byteLength) {
        try {
            long pairs = byteLength & -32L;
            if (pairs > 0) {
                st2gRange.invokeExact(taggedAddress, pairs);
            }
            if (pairs != byteLength) {
                stgRange.invokeExact(taggedAddress + pairs, byteLength - pairs);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(t);
    }
}
