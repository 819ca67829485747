package dev.pagealloc.jit.bf;

import dev.pagealloc.api.Capabilities.WxStrategy;
import dev.pagealloc.api.PageAllocator;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Test helpers: the committed programs, and running a program one way on a fresh tape. */
final class Programs {
    /** One allocator for the tests, with guard pages around every tape and every flipped code region. */
    static final PageAllocator ALLOCATOR = PageAllocator.builder().build();

    private Programs() {}

    /** {@return the text of a committed program, e.g. {@code mandelbrot.b}} */
    static String source(String name) {
        try (InputStream in = Programs.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The ways a program runs in the tests. */
    enum Mode {
        /** The interpreter over the unoptimized IR: one instruction per command. */
        INTERPRETED_UNOPTIMIZED,
        /** The interpreter over the optimized IR. */
        INTERPRETED,
        /** Compiled, loaded by dual mapping. */
        COMPILED_DUAL_MAPPING,
        /** Compiled, loaded into a region flipped to read-execute. */
        COMPILED_FLIPPED
    }

    /**
     * {@return a new code loader of a compiled mode, for the caller to close} A loader keeps a heap chunk
     * mapped until closed, which the resource audit after each test class would report as left behind.
     */
    static PageAllocatorCodeLoader loader(Mode mode) {
        return new PageAllocatorCodeLoader(ALLOCATOR,
                mode == Mode.COMPILED_DUAL_MAPPING ? WxStrategy.DUAL_MAPPING : WxStrategy.PROTECTION_FLIP);
    }

    /** {@return what {@code source} prints in {@code mode} on a fresh tape of {@code cells}, given {@code input}} */
    static String run(String source, Mode mode, long cells, String input) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        run(source, mode, cells, new ByteArrayInputStream(input.getBytes(StandardCharsets.ISO_8859_1)), out);
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    static void run(String source, Mode mode, long cells, InputStream in, ByteArrayOutputStream out)
            throws IOException {
        try (Tape tape = Tape.allocate(ALLOCATOR, cells)) {
            switch (mode) {
                case INTERPRETED_UNOPTIMIZED -> new BrainfuckInterpreter(BrainfuckProgram.parseUnoptimized(source))
                        .run(tape, in, out);
                case INTERPRETED -> new BrainfuckInterpreter(BrainfuckProgram.parse(source)).run(tape, in, out);
                case COMPILED_DUAL_MAPPING, COMPILED_FLIPPED -> {
                    try (PageAllocatorCodeLoader loader = loader(mode);
                            CompiledBrainfuck compiled = BrainfuckCompiler.compile(BrainfuckProgram.parse(source),
                                    loader)) {
                        compiled.run(tape, in, out);
                    }
                }
            }
        }
    }
}
