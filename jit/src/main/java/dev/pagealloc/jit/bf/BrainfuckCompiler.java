package dev.pagealloc.jit.bf;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.ValueLayout;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Compiles a program's IR to x86-64 machine code and loads it through a {@link CodeLoader}.
 *
 * <p>The generated function checks every tape move against the tape's bounds (one check per straight run of
 * instructions) and returns to Java instead of leaving the tape; Java then finishes the run in the
 * interpreter, so a compiled program fails exactly where the interpreter does, with the same
 * {@link TapeOutOfRangeException}. Output and input go through upcalls to Java.
 *
 * <p>Stateless and thread-safe.
 */
public final class BrainfuckCompiler {
    /** {@code int64_t run(uint8_t *tape, int64_t cells, int (*put)(int), int (*get)(void))}. */
    static final FunctionDescriptor ENTRY = FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.ADDRESS);

    private BrainfuckCompiler() {}

    /**
     * {@return why the compiler cannot run on this JVM, or empty if it can}: it emits x86-64 code only, so
     * any other architecture ({@code os.arch}) is refused; whether the platform has executable memory is
     * the {@link CodeLoader}'s to say, when loading
     */
    public static Optional<String> unavailableReason() {
        return unavailableReason(System.getProperty("os.arch", ""));
    }

    /**
     * {@return why the compiler cannot run on architecture {@code osArch}, or empty if it can}
     *
     * @param osArch an {@code os.arch} value, e.g. {@code amd64} or {@code aarch64}
     */
    static Optional<String> unavailableReason(String osArch) {
        String arch = osArch.toLowerCase(Locale.ROOT);
        return arch.equals("amd64") || arch.equals("x86_64")
                ? Optional.empty()
                : Optional.of("the compiler emits x86-64 code only; this JVM runs on " + osArch);
    }

    /**
     * {@return the machine code of {@code program}}: one x86-64 function, as {@link #compile} loads it
     *
     * @param program the program
     * @throws NullPointerException if {@code program} is null
     */
    public static byte[] generate(BrainfuckProgram program) {
        return X86CodeGenerator.generate(Objects.requireNonNull(program, "program"));
    }

    /**
     * Compiles {@code program} and loads the code.
     *
     * @param program the program
     * @param loader where the code goes
     * @return the compiled program; close it to unmap the code
     * @throws UnsupportedOperationException if the compiler cannot run here ({@link #unavailableReason()}),
     *     or if {@code loader} has no executable memory on this platform
     * @throws dev.pagealloc.api.PageAllocatorException if the kernel refuses the code's memory; nothing stays
     *     mapped
     * @throws IllegalCallerException if module {@code dev.pagealloc.jit} has no native access
     * @throws NullPointerException if an argument is null
     */
    public static CompiledBrainfuck compile(BrainfuckProgram program, CodeLoader loader) {
        Objects.requireNonNull(program, "program");
        Objects.requireNonNull(loader, "loader");
        Optional<String> unavailable = unavailableReason();
        if (unavailable.isPresent()) {
            throw new UnsupportedOperationException("compile(): " + unavailable.get());
        }
        byte[] code = X86CodeGenerator.generate(program);
        return new CompiledBrainfuck(program, loader.load(code, ENTRY), loader.describe());
    }
}
