package dev.pagealloc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pagealloc jit bf}: output in both modes, the fallback, and the errors. */
class JitCommandTest {
    /** Prints "Hi\n": 8 * 9 = 72 'H', 105 'i', 10. */
    private static final String HI = "++++++++[>+++++++++<-]>.+++++++++++++++++++++++++++++++++.[-]++++++++++.";

    @TempDir
    Path folder;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(Optional<String> compilerUnavailable, String input, String... args) {
        return JitCommand.run(List.of(args), new ByteArrayInputStream(input.getBytes(StandardCharsets.ISO_8859_1)),
                new PrintStream(out, true, StandardCharsets.ISO_8859_1),
                new PrintStream(err, true, StandardCharsets.UTF_8), compilerUnavailable);
    }

    private String file(String program) throws IOException {
        Path file = folder.resolve("program.b");
        Files.writeString(file, program, StandardCharsets.ISO_8859_1);
        return file.toString();
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldPrintTheSameOutputCompiledAndInterpreted() throws IOException {
        String file = file(HI);
        assertEquals(0, run(Optional.empty(), "", "bf", file, "--verbose"));
        assertEquals("Hi\n", out.toString(StandardCharsets.ISO_8859_1));
        assertTrue(err().contains("x86-64 code"), err());
        out.reset();
        err.reset();
        assertEquals(0, run(Optional.empty(), "", "bf", "--interpret", file, "-v"));
        assertEquals("Hi\n", out.toString(StandardCharsets.ISO_8859_1));
        assertTrue(err().contains("interpreter"), err());
    }

    @Test
    void shouldRunFromMainsCommandTable() throws IOException {
        String file = file(HI);
        assertEquals(0, Main.run(List.of("jit", "bf", file), new PrintStream(out, true, StandardCharsets.ISO_8859_1),
                new PrintStream(err, true, StandardCharsets.UTF_8)));
        assertEquals("Hi\n", out.toString(StandardCharsets.ISO_8859_1));
    }

    @Test
    void shouldSayWhyItInterpretsWhereTheCompilerCannotRun() throws IOException {
        assertEquals(0, run(Optional.of("the compiler emits x86-64 code only; this JVM runs on aarch64"), "",
                "bf", file(HI)));
        assertEquals("Hi\n", out.toString(StandardCharsets.ISO_8859_1));
        assertEquals("pagealloc jit bf: cannot compile here (the compiler emits x86-64 code only; this JVM runs on "
                + "aarch64); running the interpreter\n", err());
    }

    @Test
    void shouldEchoInput() throws IOException {
        for (List<String> mode : List.of(List.<String>of(), List.of("--interpret"))) {
            out.reset();
            List<String> args = new ArrayList<>(List.of("bf", file(",[.[-],]")));
            args.addAll(mode);
            assertEquals(0, run(Optional.empty(), "echo me", args.toArray(String[]::new)));
            assertEquals("echo me", out.toString(StandardCharsets.ISO_8859_1));
        }
    }

    @Test
    void shouldNameTheLineAndColumnOfAMalformedProgram() throws IOException {
        String file = file("+[\n-]]");
        assertEquals(1, run(Optional.empty(), "", "bf", file));
        assertEquals("pagealloc jit bf: " + file + ": parse(): ']' closes no '[' at 2:3\n", err());
    }

    @Test
    void shouldReportATapeAccessOutOfRangeInBothModes() throws IOException {
        String file = file("+.<");
        for (String mode : List.of("--verbose", "--interpret")) {
            err.reset();
            assertEquals(1, run(Optional.empty(), "", "bf", file, mode));
            assertTrue(err().contains("pagealloc jit bf: " + file + ": tape access out of range at instruction 2 "
                    + "(source 1:3): the tape has 30000 cells, numbered 0 to 29999"), err());
        }
    }

    @Test
    void shouldRefuseBadUsage() throws IOException {
        assertEquals(2, run(Optional.empty(), "", "bf"));
        assertTrue(err().contains("expected one FILE, got 0"), err());
        assertEquals(2, run(Optional.empty(), "", "lisp", "x"));
        assertTrue(err().contains("unknown subcommand 'lisp'"), err());
        assertEquals(2, run(Optional.empty(), "", "bf", file(HI), "--fast"));
        assertTrue(err().contains("unknown option '--fast'"), err());
        assertEquals(1, run(Optional.empty(), "", "bf", folder.resolve("missing.b").toString()));
        assertTrue(err().contains("cannot read"), err());
    }
}
