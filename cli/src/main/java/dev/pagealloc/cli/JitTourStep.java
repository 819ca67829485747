package dev.pagealloc.cli;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.Capabilities.WxStrategy;
import dev.pagealloc.api.Units;
import dev.pagealloc.jit.CodeBuffer;
import dev.pagealloc.jit.JitMemory;
import java.lang.foreign.FunctionDescriptor;
import java.util.function.Consumer;

/**
 * The tour's JIT step: writes {@code mov eax, 42; ret} into a code buffer, shows the kernel's
 * permissions before and after sealing, and runs it, once per W^X strategy the platform offers.
 */
final class JitTourStep {
    /** {@code mov eax, 42; ret} (x86-64). */
    private static final byte[] RETURN_42 = {(byte) 0xB8, 42, 0, 0, 0, (byte) 0xC3};

    private final Consumer<String> heading;
    private final Consumer<String> say;
    private final MapsPrinter kernel;

    JitTourStep(Consumer<String> heading, Consumer<String> say, MapsPrinter kernel) {
        this.heading = heading;
        this.say = say;
        this.kernel = kernel;
    }

    void run(Capabilities caps) {
        heading.accept("JIT: write `mov eax, 42; ret`, seal it, run it; no page is ever writable and executable");
        if (!caps.architecture().equals("amd64") && !caps.architecture().equals("x86_64")) {
            say.accept("the tour's machine code is x86-64 and this JVM is " + caps.architecture() + ": not run");
            return;
        }
        for (WxStrategy strategy : new WxStrategy[] {WxStrategy.DUAL_MAPPING, WxStrategy.PROTECTION_FLIP}) {
            if (!caps.wxStrategies().contains(strategy)) {
                say.accept(strategy + ": not offered here");
                continue;
            }
            JitMemory jit;
            try {
                jit = JitMemory.builder().withStrategy(strategy).build();
            } catch (UnsupportedOperationException e) {
                say.accept(strategy + ": " + e.getMessage());
                continue;
            }
            say.accept(strategy + ": " + jit.describe());
            try (CodeBuffer code = jit.allocate(RETURN_42.length)) {
                code.write(0, RETURN_42);
                long executable = code.address();
                long writable = code.writableAddress();
                if (strategy == WxStrategy.DUAL_MAPPING) {
                    say.accept("written through " + Units.hex(writable) + ", to run at " + Units.hex(executable));
                    kernel.show(writable, writable + code.byteSize(), "before seal: the writable view rw-s");
                    kernel.show(executable, executable + code.byteSize(), "before seal: the executable view r-xs");
                    code.seal();
                    kernel.show(writable, writable + code.byteSize(), "after seal: unchanged, rw-s");
                    kernel.show(executable, executable + code.byteSize(), "after seal: unchanged, r-xs");
                } else {
                    kernel.show(executable, executable + code.byteSize(), "before seal: rw-p");
                    code.seal();
                    kernel.show(executable, executable + code.byteSize(), "after seal: r-xp");
                }
                say.accept("called through a cached downcall handle: returned " + call(code));
                try {
                    code.write(0, RETURN_42);
                    say.accept("UNEXPECTED: sealed code accepted a write");
                } catch (IllegalStateException e) {
                    say.accept("writing sealed code -> IllegalStateException: " + e.getMessage());
                }
            }
        }
    }

    private static int call(CodeBuffer code) {
        try {
            return (int) code.handle(FunctionDescriptor.of(JAVA_INT)).invokeExact();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            // invokeExact declares Throwable; a downcall throws nothing checked.
            throw new java.lang.reflect.UndeclaredThrowableException(e);
        }
    }
}
