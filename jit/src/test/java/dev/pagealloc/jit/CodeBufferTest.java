package dev.pagealloc.jit;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pagealloc.api.Capabilities.WxStrategy;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Real machine code in code buffers, checked against {@code /proc/self/maps} after every step. */
class CodeBufferTest {
    private static final FunctionDescriptor INT = FunctionDescriptor.of(JAVA_INT);
    private static final FunctionDescriptor LONG_LONG_LONG = FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG);

    @BeforeAll
    static void onX86Linux() {
        assumeTrue(X86.isHost(), "the machine code is x86-64 and the kernel view is Linux's");
    }

    static JitMemory jit(WxStrategy strategy) {
        return JitMemory.builder().withStrategy(strategy).build();
    }

    /** Every mapping over {@code [address, +byteSize)}: none writable and executable. */
    static List<ProcMaps.Mapping> wxChecked(long address, long byteSize) {
        List<ProcMaps.Mapping> mappings = ProcMaps.overlapping(address, byteSize);
        for (ProcMaps.Mapping m : mappings) {
            assertFalse(m.writable() && m.executable(), "W^X broken: " + m);
        }
        return mappings;
    }

    @ParameterizedTest
    @EnumSource(names = {"PROTECTION_FLIP", "DUAL_MAPPING"})
    void shouldReturn42AndShowTheKernelRxOnceSealed(WxStrategy strategy) throws Throwable {
        JitMemory jit = jit(strategy);
        assertEquals(strategy, jit.strategy());
        try (CodeBuffer code = jit.allocate(100)) {
            assertEquals(4096, code.byteSize(), "page-rounded");
            code.write(0, X86.returnInt(42));
            long writable = code.writableAddress();
            if (strategy == WxStrategy.PROTECTION_FLIP) {
                assertEquals(writable, code.address());
                assertEquals("rw-p", ProcMaps.permsAt(code.address()));
            } else {
                assertNotEquals(writable, code.address(), "two views at different addresses");
                assertEquals("rw-s", ProcMaps.permsAt(writable));
                assertEquals("r-xs", ProcMaps.permsAt(code.address()));
            }
            wxChecked(code.address(), code.byteSize());
            wxChecked(writable, code.byteSize());

            code.seal();
            assertEquals(CodeState.EXECUTABLE, code.state());
            if (strategy == WxStrategy.PROTECTION_FLIP) {
                assertEquals("r-xp", ProcMaps.permsAt(code.address()));
            } else {
                assertEquals("rw-s", ProcMaps.permsAt(writable), "dual mapping changes no protection");
                assertEquals("r-xs", ProcMaps.permsAt(code.address()));
            }
            wxChecked(code.address(), code.byteSize());
            assertEquals(42, (int) code.handle(INT).invokeExact());
            assertEquals(42, (int) code.criticalHandle(INT).invokeExact());

            long address = code.address();
            code.free();
            assertEquals("unmapped", ProcMaps.permsAt(address), "a buffer of its own is unmapped when freed");
            assertEquals("unmapped", ProcMaps.permsAt(writable));
        }
    }

    @Test
    void shouldShowBothViewsOfOneMemfdPage() {
        try (CodeBuffer code = jit(WxStrategy.DUAL_MAPPING).allocate(4096)) {
            ProcMaps.Mapping rw = ProcMaps.overlapping(code.writableAddress(), 1).getFirst();
            ProcMaps.Mapping rx = ProcMaps.overlapping(code.address(), 1).getFirst();
            assertEquals("rw-s", rw.perms());
            assertEquals("r-xs", rx.perms());
            assertTrue(rw.path().startsWith("/memfd:pagealloc-code"), rw.path());
            assertEquals(rw.path(), rx.path(), "one file");
            assertFalse(rw.overlaps(code.address(), code.byteSize()), "never the same address");
            code.write(0, new byte[] {7});
            assertEquals(7, executableView(code).get(JAVA_BYTE, 0), "bytes written appear at the executable view");
        }
    }

    @SuppressWarnings("restricted")
    static MemorySegment executableView(CodeBuffer code) {
        // The executable view is readable (r-x); a test may look at it.
        return MemorySegment.ofAddress(code.address()).reinterpret(code.byteSize());
    }

    @ParameterizedTest
    @EnumSource(names = {"PROTECTION_FLIP", "DUAL_MAPPING"})
    void shouldAddTwoLongsFromTheHeap(WxStrategy strategy) throws Throwable {
        try (CodeHeap heap = jit(strategy).newHeap()) {
            CodeBuffer add = heap.install(X86.ADD_LONGS);
            MethodHandle h = add.handle(LONG_LONG_LONG);
            assertEquals(5L, (long) h.invokeExact(2L, 3L));
            assertEquals(Long.MIN_VALUE, (long) h.invokeExact(Long.MAX_VALUE, 1L), "wraps as the CPU does");
            assertEquals(strategy == WxStrategy.PROTECTION_FLIP ? "r-xp" : "r-xs", ProcMaps.permsAt(add.address()));
        }
    }

    static long twice(long value) {
        return 2 * value;
    }

    @ParameterizedTest
    @EnumSource(names = {"PROTECTION_FLIP", "DUAL_MAPPING"})
    void shouldCallBackIntoJavaThroughAnUpcallStub(WxStrategy strategy) throws Throwable {
        MethodHandle twice = MethodHandles.lookup().findStatic(CodeBufferTest.class, "twice",
                MethodType.methodType(long.class, long.class));
        try (Arena arena = Arena.ofConfined(); CodeHeap heap = jit(strategy).newHeap()) {
            MemorySegment stub = upcall(twice, arena);
            CodeBuffer code = heap.install(X86.CALL_PLUS_ONE);
            MethodHandle h = code.handle(FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_LONG));
            assertEquals(43L, (long) h.invokeExact(stub, 21L), "twice(21) + 1, through Java");
        }
    }

    @SuppressWarnings("restricted")
    private static MemorySegment upcall(MethodHandle target, Arena arena) {
        return Linker.nativeLinker().upcallStub(target, FunctionDescriptor.of(JAVA_LONG, JAVA_LONG), arena);
    }

    @ParameterizedTest
    @EnumSource(names = {"PROTECTION_FLIP", "DUAL_MAPPING"})
    void shouldCloseTheWritableViewAtSeal(WxStrategy strategy) {
        try (CodeBuffer code = jit(strategy).allocate(4096)) {
            MemorySegment view = code.segment();
            assertEquals(code.byteSize(), view.byteSize(), "bounded to the buffer");
            view.setAtIndex(JAVA_BYTE, 0, (byte) 0xC3);
            assertEquals(view, code.segment(), "the same view again on the same thread");
            code.seal();
            IllegalStateException stale = assertThrows(IllegalStateException.class,
                    () -> view.set(JAVA_BYTE, 0, (byte) 0x90));
            assertTrue(stale.getMessage().contains("closed"), stale.getMessage());
            assertThrows(IllegalStateException.class, () -> view.get(JAVA_BYTE, 0), "not even readable");
        }
    }

    @Test
    void shouldConfineTheWritableViewToItsThread() throws Exception {
        try (CodeBuffer code = jit(WxStrategy.DUAL_MAPPING).allocate(4096)) {
            MemorySegment view = code.segment();
            Thread other = Thread.ofPlatform().start(() -> {
                assertThrows(WrongThreadException.class, () -> view.get(JAVA_BYTE, 0));
                assertThrows(WrongThreadException.class, code::segment);
                WrongThreadException e = assertThrows(WrongThreadException.class, code::seal);
                assertTrue(e.getMessage().contains("confined to thread"), e.getMessage());
                code.write(0, new byte[] {(byte) 0xC3}); // copying in works from any thread
            });
            other.join();
            assertEquals(CodeState.WRITABLE, code.state(), "the refused seal changed nothing");
            code.seal();
        }
    }

    @Test
    void shouldRefuseEveryIllegalTransitionNamingTheState() {
        JitMemory jit = jit(WxStrategy.DUAL_MAPPING);
        CodeBuffer code = jit.allocate(16);
        String at = "address=0x" + Long.toHexString(code.address());

        assertMessage("handle(" + at + "): the code buffer is WRITABLE; only sealed code can be called; seal() it"
                + " first", () -> code.handle(INT));
        assertMessage("criticalHandle(" + at + "): the code buffer is WRITABLE; only sealed code can be called;"
                + " seal() it first", () -> code.criticalHandle(INT));
        assertMessage("makeWritable(" + at + "): the code buffer is WRITABLE; only an EXECUTABLE buffer can be made"
                + " writable", code::makeWritable);

        code.write(0, X86.returnInt(1)).seal();
        assertMessage("seal(" + at + "): the code buffer is EXECUTABLE; only a WRITABLE buffer can be sealed",
                code::seal);
        assertMessage("write(" + at + ", byteOffset=0): the code buffer is EXECUTABLE; only a WRITABLE buffer can be"
                + " written", () -> code.write(0, new byte[1]));
        assertMessage("write(" + at + ", byteOffset=0): the code buffer is EXECUTABLE; only a WRITABLE buffer can be"
                + " written", () -> code.write(0, MemorySegment.ofArray(new byte[1])));
        assertMessage("segment(" + at + "): the code buffer is EXECUTABLE; only a WRITABLE buffer has a writable"
                + " view", code::segment);

        code.free();
        assertEquals(CodeState.FREED, code.state());
        assertMessage("free(" + at + "): the code buffer is FREED; nothing can be done with freed code", code::free);
        assertMessage("seal(" + at + "): the code buffer is FREED; only a WRITABLE buffer can be sealed", code::seal);
        assertMessage("handle(" + at + "): the code buffer is FREED; only sealed code can be called; seal() it first",
                () -> code.handle(INT));
        assertMessage("makeWritable(" + at + "): the code buffer is FREED; only an EXECUTABLE buffer can be made"
                + " writable", code::makeWritable);
        assertMessage("segment(" + at + "): the code buffer is FREED; only a WRITABLE buffer has a writable view",
                code::segment);
        assertMessage("write(" + at + ", byteOffset=0): the code buffer is FREED; only a WRITABLE buffer can be"
                + " written", () -> code.write(0, new byte[1]));
        code.close(); // idempotent after free, for try-with-resources
        assertEquals(1, jit.statistics().frees());
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        IllegalStateException e = assertThrows(IllegalStateException.class, call);
        assertEquals(expected, e.getMessage());
    }

    @Test
    void shouldForbidPatchingByPolicy() throws Throwable {
        JitMemory jit = JitMemory.builder().withPatching(false).build();
        assertFalse(jit.patchingAllowed());
        try (CodeBuffer code = jit.allocate(16)) {
            code.write(0, X86.returnInt(3)).seal();
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, code::makeWritable);
            assertTrue(e.getMessage().startsWith("makeWritable(address=0x"), e.getMessage());
            assertTrue(e.getMessage().endsWith("forbidden by this JitMemory's policy"
                    + " (JitMemory.Builder.withPatching(false)); allocate new code instead"), e.getMessage());
            assertEquals(CodeState.EXECUTABLE, code.state());
            assertEquals(3, (int) code.handle(INT).invokeExact());
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"PROTECTION_FLIP", "DUAL_MAPPING"})
    void shouldPatchAndRunAgain(WxStrategy strategy) throws Throwable {
        try (CodeHeap heap = jit(strategy).newHeap()) {
            CodeBuffer code = heap.install(X86.returnInt(1));
            MethodHandle h = code.handle(INT);
            assertEquals(1, (int) h.invokeExact());
            code.makeWritable();
            assertEquals(strategy == WxStrategy.PROTECTION_FLIP ? "rw-p" : "r-xs", ProcMaps.permsAt(code.address()));
            wxChecked(code.address(), code.byteSize());
            code.write(0, X86.returnInt(2)).seal();
            assertEquals(2, (int) code.handle(INT).invokeExact());
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"PROTECTION_FLIP", "DUAL_MAPPING"})
    void shouldOverwriteFreedHeapCodeWithTraps(WxStrategy strategy) throws Throwable {
        try (CodeHeap heap = jit(strategy).newHeap()) {
            CodeBuffer keep = heap.install(X86.returnInt(5));
            CodeBuffer gone = heap.install(X86.returnInt(6));
            long address = gone.address();
            long length = gone.byteSize();
            gone.free();
            if (strategy == WxStrategy.PROTECTION_FLIP) {
                assertEquals("---p", ProcMaps.permsAt(address), "a flip heap makes freed pages inaccessible");
            } else {
                assertEquals("r-xs", ProcMaps.permsAt(address), "shared pages stay mapped");
                byte[] traps = new byte[(int) length];
                java.util.Arrays.fill(traps, (byte) 0xCC);
                assertArrayEquals(traps, executableView(address, length).toArray(JAVA_BYTE), "int3 over every byte");
            }
            assertEquals(5, (int) keep.handle(INT).invokeExact(), "its neighbour runs on");
            CodeBuffer reused = heap.install(X86.returnInt(7));
            assertEquals(address, reused.address(), "first fit takes the freed bytes again");
            assertEquals(7, (int) reused.handle(INT).invokeExact());
        }
    }

    @SuppressWarnings("restricted")
    private static MemorySegment executableView(long address, long length) {
        return MemorySegment.ofAddress(address).reinterpret(length);
    }

    @Test
    void shouldCountBuffersAndBytes() {
        JitMemory jit = jit(WxStrategy.DUAL_MAPPING);
        CodeBuffer a = jit.allocate(1);
        CodeBuffer b = jit.allocate(5000);
        CodeStatistics s = jit.statistics();
        assertEquals(new CodeStatistics(2, 0, 2, 2, 4096 + 8192, 4096 + 8192, 4096 + 8192, 0, 0, 4096 + 8192, 2), s);
        a.write(0, X86.returnInt(1)).seal();
        b.free();
        s = jit.statistics();
        assertEquals(new CodeStatistics(2, 1, 1, 2, 12288, 4096, 12288, 4096, 1, 4096, 1), s);
        a.free();
        try (CodeHeap heap = jit.newHeap()) {
            heap.install(X86.returnInt(1));
            heap.install(X86.returnInt(2));
            s = jit.statistics();
            assertEquals(2, s.liveBuffers());
            assertEquals(32, s.liveBytes(), "two 16-byte functions");
            assertEquals(32, s.executableBytes());
            assertEquals(JitMemory.DEFAULT_HEAP_CHUNK_BYTES, s.mappedBytes(), "one chunk");
        }
        s = jit.statistics();
        assertEquals(0, s.liveBuffers());
        assertEquals(0, s.mappedBytes());
        assertEquals(0, s.mappedChunks());
    }

    @Test
    void shouldRefuseBadSizes() {
        JitMemory jit = jit(WxStrategy.DUAL_MAPPING);
        assertEquals("JitMemory.allocate(byteSize=0): must be positive",
                assertThrows(IllegalArgumentException.class, () -> jit.allocate(0)).getMessage());
        try (CodeHeap heap = jit.newHeap()) {
            assertEquals("CodeHeap.allocate(byteSize=-1): must be positive",
                    assertThrows(IllegalArgumentException.class, () -> heap.allocate(-1)).getMessage());
        }
        assertEquals("JitMemory.install(code.length=0): no code to install",
                assertThrows(IllegalArgumentException.class, () -> jit.install(new byte[0])).getMessage());
        try (CodeBuffer code = jit.allocate(16)) {
            assertThrows(IndexOutOfBoundsException.class, () -> code.write(4090, new byte[7]));
            assertThrows(IndexOutOfBoundsException.class, () -> code.write(-1, new byte[1]));
        }
    }
}
