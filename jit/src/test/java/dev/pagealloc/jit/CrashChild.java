package dev.pagealloc.jit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.pagealloc.api.Capabilities.WxStrategy;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The child JVM of {@link CodeCrashTest}: {@code main(case, strategy)} prints the address it is about to
 * touch after {@code ADDRESS=}, then does it. Cases that must not crash print {@code SURVIVED} last.
 */
public final class CrashChild {
    private CrashChild() {}

    /**
     * Runs one case.
     *
     * @param args the case and the strategy name
     * @throws Throwable if a call fails other than by the crash the case is about
     */
    public static void main(String[] args) throws Throwable {
        JitMemory jit = JitMemory.builder().withStrategy(WxStrategy.valueOf(args[1])).build();
        switch (args[0]) {
            case "java-writes-sealed-code" -> {
                CodeBuffer code = jit.allocate(4096);
                MemorySegment view = code.segment();
                view.copyFrom(MemorySegment.ofArray(X86.returnInt(42)));
                code.seal();
                System.out.println("ADDRESS=" + Long.toHexString(code.address()));
                int refused = 0;
                refused += refuses(() -> view.set(JAVA_BYTE, 0, (byte) 0xC3));
                refused += refuses(() -> code.write(0, new byte[] {(byte) 0xC3}));
                refused += refuses(() -> code.write(0, MemorySegment.ofArray(new byte[] {(byte) 0xC3})));
                refused += refuses(code::segment);
                System.out.println("REFUSED=" + refused);
                System.out.println("RESULT=" + (int) code.handle(FunctionDescriptor.of(JAVA_INT)).invokeExact());
            }
            case "native-writes-sealed-code" -> {
                CodeBuffer target = jit.allocate(4096).write(0, X86.returnInt(42)).seal();
                CodeBuffer store = jit.install(X86.STORE_ZERO);
                MethodHandle h = store.handle(FunctionDescriptor.ofVoid(JAVA_LONG));
                System.out.println("ADDRESS=" + Long.toHexString(target.address()));
                System.out.flush();
                h.invokeExact(target.address());
            }
            case "native-writes-writable-code" -> {
                CodeBuffer target = jit.allocate(4096);
                CodeBuffer store = jit.install(X86.STORE_ZERO);
                MethodHandle h = store.handle(FunctionDescriptor.ofVoid(JAVA_LONG));
                System.out.println("ADDRESS=" + Long.toHexString(target.writableAddress()));
                h.invokeExact(target.writableAddress());
            }
            case "call-freed-buffer", "call-freed-heap-function" -> {
                boolean heap = args[0].equals("call-freed-heap-function");
                CodeBuffer neighbour = jit.install(X86.returnInt(1));
                CodeBuffer code = heap ? jit.install(X86.returnInt(42))
                        : jit.allocate(4096).write(0, X86.returnInt(42)).seal();
                MethodHandle h = code.handle(FunctionDescriptor.of(JAVA_INT));
                System.out.println("RESULT=" + (int) h.invokeExact());
                code.free();
                System.out.println("ADDRESS=" + Long.toHexString(code.address()));
                System.out.flush();
                System.out.println("RESULT=" + (int) h.invokeExact());
                System.out.println("NEIGHBOUR=" + neighbour.state());
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
        System.out.println("SURVIVED");
    }

    private static int refuses(Runnable write) {
        try {
            write.run();
            return 0;
        } catch (IllegalStateException e) {
            System.out.println("THREW " + e.getMessage());
            return 1;
        }
    }
}
