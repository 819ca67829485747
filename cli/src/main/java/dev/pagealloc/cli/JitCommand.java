package dev.pagealloc.cli;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PageAllocatorException;
import dev.pagealloc.jit.bf.BrainfuckCompiler;
import dev.pagealloc.jit.bf.BrainfuckInterpreter;
import dev.pagealloc.jit.bf.BrainfuckProgram;
import dev.pagealloc.jit.bf.BrainfuckRunner;
import dev.pagealloc.jit.bf.BrainfuckSyntaxException;
import dev.pagealloc.jit.bf.CompiledBrainfuck;
import dev.pagealloc.jit.bf.PageAllocatorCodeLoader;
import dev.pagealloc.jit.bf.Tape;
import dev.pagealloc.jit.bf.TapeOutOfRangeException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code pagealloc jit bf FILE [--interpret] [--verbose]}: compiles a Brainfuck program to x86-64 machine
 * code in executable memory and runs it on a tape in a pagealloc region, printing its output; with
 * {@code --interpret}, or where the compiler cannot run (another architecture, no executable memory, no
 * native access), the plain Java interpreter runs it instead, after saying why on the error stream.
 * {@code --verbose} says on the error stream how the program ran and how long it took.
 *
 * <p>Stateless; each call runs one program.
 */
final class JitCommand {
    private static final String USAGE = "usage: pagealloc jit bf FILE [--interpret] [--verbose]";

    private JitCommand() {}

    /**
     * Runs {@code jit} with its arguments.
     *
     * @param args {@code bf FILE [--interpret] [--verbose]}
     * @param in the program's input
     * @param out the program's output
     * @param err messages
     * @return 0 when the program ran to its end, 1 when it could not be read, parsed or run to its end, 2 on
     *     a usage error
     */
    static int run(List<String> args, InputStream in, PrintStream out, PrintStream err) {
        return run(args, in, out, err, BrainfuckCompiler.unavailableReason());
    }

    /** As {@link #run(List, InputStream, PrintStream, PrintStream)}, with why the compiler cannot run, if so. */
    static int run(List<String> args, InputStream in, PrintStream out, PrintStream err,
            Optional<String> compilerUnavailable) {
        if (args.isEmpty() || !args.getFirst().equals("bf")) {
            err.println("pagealloc jit: unknown subcommand" + (args.isEmpty() ? "" : " '" + args.getFirst() + "'"));
            err.println(USAGE);
            return 2;
        }
        boolean interpret = false;
        boolean verbose = false;
        List<String> files = new ArrayList<>();
        for (String arg : args.subList(1, args.size())) {
            switch (arg) {
                case "--interpret" -> interpret = true;
                case "--verbose", "-v" -> verbose = true;
                default -> {
                    if (arg.startsWith("-")) {
                        err.println("pagealloc jit bf: unknown option '" + arg + "'");
                        err.println(USAGE);
                        return 2;
                    }
                    files.add(arg);
                }
            }
        }
        if (files.size() != 1) {
            err.println("pagealloc jit bf: expected one FILE, got " + files.size());
            err.println(USAGE);
            return 2;
        }
        String file = files.getFirst();
        BrainfuckProgram program;
        try {
            program = BrainfuckProgram.parse(Files.readString(Path.of(file), StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            err.println("pagealloc jit bf: cannot read " + file + ": " + e);
            return 1;
        } catch (BrainfuckSyntaxException e) {
            err.println("pagealloc jit bf: " + file + ": " + e.getMessage());
            return 1;
        }
        PageAllocator allocator = PageAllocator.builder().build();
        BrainfuckRunner runner = interpret ? new BrainfuckInterpreter(program)
                : compiledOrInterpreter(program, allocator, compilerUnavailable, err);
        long start = System.nanoTime();
        try (Tape tape = Tape.allocate(allocator, Tape.DEFAULT_CELLS)) {
            runner.run(tape, in, out);
        } catch (TapeOutOfRangeException e) {
            out.flush();
            err.println("pagealloc jit bf: " + file + ": " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("pagealloc jit bf: " + file + ": input or output failed: " + e);
            return 1;
        } finally {
            if (runner instanceof CompiledBrainfuck compiled) {
                compiled.close();
            }
        }
        out.flush();
        if (verbose) {
            err.printf("pagealloc jit bf: %s ran in %.3f ms: %s%n", file, (System.nanoTime() - start) / 1e6,
                    runner.describe());
        }
        return 0;
    }

    private static BrainfuckRunner compiledOrInterpreter(BrainfuckProgram program, PageAllocator allocator,
            Optional<String> compilerUnavailable, PrintStream err) {
        String why;
        if (compilerUnavailable.isPresent()) {
            why = compilerUnavailable.get();
        } else {
            try {
                return BrainfuckCompiler.compile(program, new PageAllocatorCodeLoader(allocator));
            } catch (UnsupportedOperationException | PageAllocatorException | IllegalCallerException e) {
                why = e.getMessage();
            }
        }
        err.println("pagealloc jit bf: cannot compile here (" + why + "); running the interpreter");
        return new BrainfuckInterpreter(program);
    }
}
