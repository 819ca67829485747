package dev.pagealloc.jit.adversary;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.jit.bf.BrainfuckCompiler;
import dev.pagealloc.jit.bf.BrainfuckProgram;
import dev.pagealloc.jit.bf.CodeLoader;
import dev.pagealloc.jit.bf.CompiledBrainfuck;
import dev.pagealloc.jit.bf.PageAllocatorCodeLoader;
import dev.pagealloc.jit.bf.Tape;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.lang.foreign.FunctionDescriptor;
import java.nio.charset.StandardCharsets;

/**
 * Run in a child JVM, from the class path, by {@code CodeLoaderNativeAccessTest}: loading raw bytes as code
 * is restricted, compiling Brainfuck (whose code the compiler vouches for) is not. Prints one line per
 * attempt, {@code name: ALLOWED ...} or {@code name: REFUSED message}. In a package of its own: classes of
 * {@code dev.pagealloc.jit.bf} on the class path would be hidden by the module's.
 */
public final class CodeLoaderAttack {
    private CodeLoaderAttack() {}

    /**
     * Tries both.
     *
     * @param args none
     * @throws Throwable if the code, once loaded, fails to run
     */
    public static void main(String[] args) throws Throwable {
        PageAllocator allocator = PageAllocator.builder().build();
        CodeLoader loader = new PageAllocatorCodeLoader(allocator);
        try {
            // ret
            CodeLoader.LoadedCode code = loader.load(new byte[] {(byte) 0xC3}, FunctionDescriptor.ofVoid());
            code.handle().invokeExact();
            code.close();
            System.out.println("load: ALLOWED ran");
        } catch (IllegalCallerException e) {
            System.out.println("load: REFUSED " + e.getMessage());
        }
        try (Tape tape = Tape.allocate(allocator, 16);
                CompiledBrainfuck compiled = BrainfuckCompiler.compile(BrainfuckProgram.parse("+".repeat(65) + "."),
                        loader)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            compiled.run(tape, InputStream.nullInputStream(), out);
            System.out.println("compile: ALLOWED printed " + out.toString(StandardCharsets.US_ASCII));
        }
    }
}
