package dev.pagealloc.chicory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import dev.pagealloc.chicory.programs.SampleProgram;
import dev.pagealloc.wasm.LinearMemory;
import dev.pagealloc.wasm.MemoryImage;
import dev.pagealloc.wasm.MemoryPool;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link ActiveData#of} and memories whose active data is preloaded (the input and the use of an image). */
class ActiveDataTest {

    private static final byte[] HELLO =
            "Hello from WebAssembly on a pagealloc linear memory\n".getBytes(StandardCharsets.US_ASCII);

    @Test
    void ofReadsTheConstantOffsetAndTheBytesOfEachActiveSegment() {
        List<ActiveData> data = ActiveData.of(Parser.parse(SampleProgram.HELLO_WASI.wasm()));
        assertEquals(1, data.size());
        assertEquals(16, data.getFirst().byteOffset());
        assertArrayEquals(HELLO, data.getFirst().bytes());
        assertTrue(ActiveData.of(Parser.parse(SampleProgram.SIEVE.wasm())).isEmpty(), "the sieve has no data");
    }

    @Test
    void refusesANegativeOffset() {
        assertThrows(IllegalArgumentException.class, () -> new ActiveData(-1, new byte[1]));
    }

    @Test
    void aPreloadedMemoryIsNotCopiedIntoAtInstantiation() {
        WasmModule module = Parser.parse(SampleProgram.HELLO_WASI.wasm());
        // A source that does not hold the data proves the copy is skipped: the bytes stay zero.
        try (PageallocMemoryFactory memories = PageallocMemoryFactory.preloaded(LinearMemory::create)) {
            Instance instance = Instance.builder(module).withMemoryFactory(memories)
                    .withImportValues(ImportValues.builder()
                            .addFunction(new HostFunction("wasi_snapshot_preview1", "fd_write",
                                    FunctionType.of(List.of(ValType.I32, ValType.I32, ValType.I32, ValType.I32),
                                            List.of(ValType.I32)),
                                    (inst, args) -> new long[] {0}))
                            .build())
                    .withStart(false).build();
            assertArrayEquals(new byte[HELLO.length], instance.memory().readBytes(16, HELLO.length));
        }
    }

    @Test
    void imageOfAModuleWithoutActiveDataIsEmpty() {
        assertTrue(ActiveData.imageOf(Parser.parse(SampleProgram.SIEVE.wasm())).isEmpty());
    }

    @Test
    void aPoolSlotWithTheModulesImageHoldsTheDataMappedCopyOnWriteAndGoesBackToThePool() throws IOException {
        assumeTrue(Files.isReadable(Path.of("/proc/self/maps")), "needs /proc/self/maps");
        WasmModule module = Parser.parse(SampleProgram.HELLO_WASI.wasm());
        try (MemoryImage image = ActiveData.imageOf(module).orElseThrow();
                MemoryPool pool = MemoryPool.builder().withSlots(2).withSlotBytes(16L << 20)
                        .withGuardBytes(64L << 10).build()) {
            assumeTrue(image.isCopyOnWrite(), image.mechanism());
            try (PageallocMemoryFactory memories =
                    PageallocMemoryFactory.preloaded(type -> pool.acquire(type, image))) {
                for (int round = 0; round < 2; round++) {
                    Instance instance = Instance.builder(module).withMemoryFactory(memories)
                            .withImportValues(ImportValues.builder()
                                    .addFunction(new HostFunction("wasi_snapshot_preview1", "fd_write",
                                            FunctionType.of(List.of(ValType.I32, ValType.I32, ValType.I32,
                                                    ValType.I32), List.of(ValType.I32)),
                                            (inst, args) -> new long[] {0}))
                                    .build())
                            .withStart(false).build();
                    assertArrayEquals(HELLO, instance.memory().readBytes(16, HELLO.length));
                    long base = ((PageallocMemory) instance.memory()).linearMemory().segment().address();
                    // The kernel's view: the first page is the image's memfd, mapped private (copy-on-write).
                    String line = mapsLineAt(base);
                    assertTrue(line.contains("memfd:pagealloc-image") && line.split("\\s+")[1].equals("rw-p"),
                            line);
                }
                assertEquals(2, pool.liveMemories());
            }
            assertEquals(0, pool.liveMemories(), "the factory's close gives every slot back");
        }
    }

    private static String mapsLineAt(long address) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            String[] range = line.substring(0, line.indexOf(' ')).split("-");
            if (Long.compareUnsigned(address, Long.parseUnsignedLong(range[0], 16)) >= 0
                    && Long.compareUnsigned(address, Long.parseUnsignedLong(range[1], 16)) < 0) {
                return line;
            }
        }
        return "(no mapping at 0x" + Long.toHexString(address) + ")";
    }
}
