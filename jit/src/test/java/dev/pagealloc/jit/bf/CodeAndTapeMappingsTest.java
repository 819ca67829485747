package dev.pagealloc.jit.bf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pagealloc.api.Capabilities.WxStrategy;
import dev.pagealloc.jit.bf.Programs.Mode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The kernel's own view ({@code /proc/self/maps}, Linux only) of the tape and of the code, and the compiled
 * program's life cycle.
 */
class CodeAndTapeMappingsTest {

    @BeforeAll
    static void onLinux() {
        assumeTrue(Files.isReadable(Path.of("/proc/self/maps")), "needs /proc/self/maps");
    }

    /** One line of {@code /proc/self/maps}. */
    private record Mapping(long start, long end, String permissions, String path) {}

    private static Optional<Mapping> mappingAt(long address) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                String[] fields = line.trim().split("\\s+", 6);
                String[] range = fields[0].split("-");
                long start = Long.parseUnsignedLong(range[0], 16);
                long end = Long.parseUnsignedLong(range[1], 16);
                if (Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end) < 0) {
                    return Optional.of(new Mapping(start, end, fields[1], fields.length > 5 ? fields[5] : ""));
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void shouldKeepTheTapeReadWriteBetweenInaccessibleGuards() {
        try (Tape tape = Tape.allocate(Programs.ALLOCATOR, Tape.DEFAULT_CELLS)) {
            long base = tape.region().address();
            assertTrue(tape.region().guardBeforeBytes() > 0 && tape.region().guardAfterBytes() > 0);
            assertEquals("rw-p", mappingAt(base).orElseThrow().permissions());
            assertEquals("rw-p", mappingAt(base + tape.cells() - 1).orElseThrow().permissions());
            assertEquals("---p", mappingAt(base - 1).orElseThrow().permissions());
            assertEquals("---p", mappingAt(base + tape.region().byteSize()).orElseThrow().permissions());
        }
    }

    @Test
    void shouldRunDualMappedCodeFromASharedReadExecuteMappingTrapItOnCloseAndUnmapItWithTheLoader()
            throws IOException {
        PageAllocatorCodeLoader loader = new PageAllocatorCodeLoader(Programs.ALLOCATOR, WxStrategy.DUAL_MAPPING);
        CompiledBrainfuck compiled = BrainfuckCompiler.compile(BrainfuckProgram.parse("+."), loader);
        long code = compiled.codeAddress();
        Mapping mapping = mappingAt(code).orElseThrow();
        assertEquals("r-xs", mapping.permissions());
        assertTrue(mapping.path().contains("memfd:pagealloc-code"), mapping.path());
        assertNoWritableExecutableCode();
        compiled.close();
        compiled.close();
        // The heap keeps its last chunk; the program's bytes are int3 now, so a stale call traps.
        assertEquals("r-xs", mappingAt(code).orElseThrow().permissions());
        assertArrayEquals(new byte[] {(byte) 0xCC, (byte) 0xCC, (byte) 0xCC, (byte) 0xCC}, kernelBytesAt(code, 4));
        loader.close();
        loader.close();
        assertFalse(mappingAt(code).map(Mapping::path).orElse("").contains("memfd:pagealloc-code"));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> loader.load(new byte[] {(byte) 0xC3}, BrainfuckCompiler.ENTRY));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void shouldRunFlippedCodeFromAPrivateReadExecuteRegionMadeInaccessibleOnClose() throws IOException {
        try (PageAllocatorCodeLoader loader = new PageAllocatorCodeLoader(Programs.ALLOCATOR,
                WxStrategy.PROTECTION_FLIP)) {
            CompiledBrainfuck compiled = BrainfuckCompiler.compile(BrainfuckProgram.parse("+."), loader);
            long code = compiled.codeAddress();
            assertEquals("r-xp", mappingAt(code).orElseThrow().permissions());
            assertTrue(compiled.describe().contains("protection flip"), compiled.describe());
            compiled.close();
            assertEquals("---p", mappingAt(code).orElseThrow().permissions());
        }
    }

    /** {@return {@code count} bytes at {@code address} as the kernel reads them, through /proc/self/mem} */
    private static byte[] kernelBytesAt(long address, int count) throws IOException {
        try (RandomAccessFile mem = new RandomAccessFile("/proc/self/mem", "r")) {
            mem.seek(address);
            byte[] bytes = new byte[count];
            mem.readFully(bytes);
            return bytes;
        }
    }

    @Test
    void shouldRefuseToRunAfterClose() {
        try (PageAllocatorCodeLoader loader = Programs.loader(Mode.COMPILED_DUAL_MAPPING);
                Tape tape = Tape.allocate(Programs.ALLOCATOR, 16)) {
            CompiledBrainfuck compiled = BrainfuckCompiler.compile(BrainfuckProgram.parse("+."), loader);
            compiled.close();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> compiled.run(tape, InputStream.nullInputStream(), new ByteArrayOutputStream()));
            assertEquals("run(): the compiled program is closed", e.getMessage());
        }
    }

    @Test
    void shouldRunOneCompiledProgramOnSeveralThreadsAtOnceEachWithItsTape() throws Exception {
        String source = Programs.source("primes.b");
        int threads = 4;
        try (PageAllocatorCodeLoader loader = Programs.loader(Mode.COMPILED_DUAL_MAPPING);
                CompiledBrainfuck compiled = BrainfuckCompiler.compile(BrainfuckProgram.parse(source), loader);
                ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<String>> outputs = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                outputs.add(pool.submit(() -> {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    try (Tape tape = Tape.allocate(Programs.ALLOCATOR, Tape.DEFAULT_CELLS)) {
                        for (int run = 0; run < 5; run++) {
                            tape.clear();
                            compiled.run(tape, InputStream.nullInputStream(), out);
                        }
                    }
                    return out.toString(StandardCharsets.US_ASCII);
                }));
            }
            for (Future<String> output : outputs) {
                assertEquals(TestPrograms.expectedPrimes().repeat(5), output.get());
            }
        }
    }

    @Test
    void shouldRefuseEmptyCode() {
        try (PageAllocatorCodeLoader loader = Programs.loader(Mode.COMPILED_DUAL_MAPPING)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> loader.load(new byte[0], BrainfuckCompiler.ENTRY));
            assertEquals("load(codeBytes=0): the code must not be empty", e.getMessage());
        }
    }

    @Test
    void shouldSayWhyTheCompilerCannotRunOnAnotherArchitecture() {
        assertEquals(Optional.of("the compiler emits x86-64 code only; this JVM runs on aarch64"),
                BrainfuckCompiler.unavailableReason("aarch64"));
        assertEquals(Optional.empty(), BrainfuckCompiler.unavailableReason("amd64"));
        assertEquals(Optional.empty(), BrainfuckCompiler.unavailableReason("x86_64"));
    }

    private static void assertNoWritableExecutableCode() {
        try {
            List<String> ours = Files.readAllLines(Path.of("/proc/self/maps")).stream()
                    .filter(line -> line.contains("pagealloc-code")).toList();
            assertFalse(ours.isEmpty());
            for (String line : ours) {
                assertFalse(line.split("\\s+")[1].startsWith("rwx"), line);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
