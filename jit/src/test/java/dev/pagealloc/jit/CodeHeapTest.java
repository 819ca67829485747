package dev.pagealloc.jit;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pagealloc.api.Capabilities.WxStrategy;
import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Many small functions in a code heap: mapping counts from {@code /proc/self/maps}, every function run. */
class CodeHeapTest {
    private static final FunctionDescriptor INT = FunctionDescriptor.of(JAVA_INT);

    @BeforeAll
    static void onX86Linux() {
        assumeTrue(X86.isHost(), "the machine code is x86-64 and the kernel view is Linux's");
    }

    /** The mappings of the process that overlap one of the functions' pages, counted by the kernel. */
    private static long mappingsOver(List<CodeBuffer> functions, boolean writableViews) {
        return ProcMaps.all().stream()
                .filter(m -> functions.stream().anyMatch(f -> m.overlaps(f.address(), f.byteSize())
                        || writableViews && m.overlaps(f.writableAddress(), f.byteSize())))
                .peek(m -> assertFalse(m.writable() && m.executable(), "W^X broken: " + m))
                .count();
    }

    @ParameterizedTest
    @EnumSource(names = {"PROTECTION_FLIP", "DUAL_MAPPING"})
    void shouldRunTenThousandFunctionsInFewMappings(WxStrategy strategy) throws Throwable {
        JitMemory jit = JitMemory.builder().withStrategy(strategy).withHeapChunkBytes(1 << 20).build();
        try (CodeHeap heap = jit.newHeap()) {
            List<CodeBuffer> functions = new ArrayList<>();
            for (int i = 0; i < 10_000; i++) {
                functions.add(heap.install(X86.returnInt(i)));
            }
            for (int i = 0; i < functions.size(); i++) {
                assertEquals(i, (int) functions.get(i).handle(INT).invokeExact());
            }
            long mappings = mappingsOver(functions, strategy == WxStrategy.DUAL_MAPPING);
            if (strategy == WxStrategy.DUAL_MAPPING) {
                assertEquals(1, heap.chunkCount(), "10,000 functions of 16 bytes fit one 1 MiB chunk");
                assertEquals(2, mappings, "one chunk: its rw-s view and its r-xs view");
            } else {
                // A page per function under a flip, side by side: the kernel merges equal neighbours.
                assertEquals(Math.ceilDiv(10_000L * 4096, 1 << 20), heap.chunkCount());
                assertTrue(mappings <= heap.chunkCount(), mappings + " mappings for " + heap.chunkCount() + " chunks");
            }
            assertEquals(10_000, jit.statistics().liveBuffers());
            for (CodeBuffer f : functions) {
                f.free();
            }
            assertEquals(1, heap.chunkCount(), "emptied chunks are unmapped, but the last");
        }
        assertEquals(0, jit.statistics().mappedChunks());
    }

    @ParameterizedTest
    @EnumSource(names = {"PROTECTION_FLIP", "DUAL_MAPPING"})
    void shouldCompileAndCallFromSeveralThreads(WxStrategy strategy) throws Exception {
        JitMemory jit = JitMemory.builder().withStrategy(strategy).build();
        int threads = 4;
        int rounds = 300;
        try (CodeHeap heap = jit.newHeap(); ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            CodeBuffer shared = heap.install(X86.returnInt(-1));
            MethodHandle sharedHandle = shared.handle(INT);
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    int ran = 0;
                    for (int r = 0; r < rounds; r++) {
                        int value = thread * 1_000_000 + r;
                        CodeBuffer code = heap.allocate(6);
                        code.segment().copyFrom(java.lang.foreign.MemorySegment.ofArray(X86.returnInt(value)));
                        code.seal();
                        try {
                            assertEquals(value, (int) code.handle(INT).invokeExact());
                            assertEquals(-1, (int) sharedHandle.invokeExact(), "code others run stays intact");
                        } catch (Throwable e) {
                            throw new AssertionError(e);
                        }
                        if (r % 2 == 0) {
                            code.free(); // half are freed while the others compile into the same chunks
                        }
                        ran++;
                    }
                    return ran;
                }));
            }
            for (Future<Integer> f : results) {
                assertEquals(rounds, f.get());
            }
            assertEquals(1 + threads * rounds / 2, jit.statistics().liveBuffers());
        }
    }
}
