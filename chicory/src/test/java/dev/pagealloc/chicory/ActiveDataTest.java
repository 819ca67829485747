package dev.pagealloc.chicory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import dev.pagealloc.chicory.programs.SampleProgram;
import dev.pagealloc.wasm.LinearMemory;
import java.nio.charset.StandardCharsets;
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
        Skeleton.assumeLinearMemoryImplemented();
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
}
