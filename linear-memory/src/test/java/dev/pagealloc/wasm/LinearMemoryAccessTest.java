package dev.pagealloc.wasm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Loads, stores, bulk operations, traps and release on {@link LinearMemory}, one behaviour per test. */
class LinearMemoryAccessTest {
    private static final long PAGE = MemoryType.WASM_PAGE_BYTES;

    @Test
    void shouldStoreAndLoadLittleEndianAtAnyAlignment() {
        try (LinearMemory memory = TestStorage.memory(1, 1, false)) {
            memory.storeI32(3, 0x01020304);
            assertEquals(0x04, memory.loadU8(3));
            assertEquals(0x01, memory.loadU8(6));
            assertEquals(0x01020304, memory.loadI32(3));
            memory.storeI64(9, 0x8877665544332211L);
            assertEquals(0x11, memory.loadU8(9));
            assertEquals(0x8877665544332211L, memory.loadI64(9));
            assertEquals(0x88776655L, memory.loadU32(13));
            assertEquals((int) 0x88776655L, memory.loadI32(13));
            memory.storeI16(1, (short) 0xBEEF);
            assertEquals(0xEF, memory.loadU8(1));
            assertEquals((short) 0xBEEF, memory.loadI16(1));
            assertEquals(0xBEEF, memory.loadU16(1));
            memory.storeI8(0, (byte) 0x80);
            assertEquals((byte) 0x80, memory.loadI8(0));
            assertEquals(0x80, memory.loadU8(0));
        }
    }

    @Test
    void shouldKeepFloatBitsIncludingNanPayloads() {
        try (LinearMemory memory = TestStorage.memory(1, 1, false)) {
            int nanBits = 0x7fa00001;
            memory.storeI32(1, nanBits);
            assertEquals(nanBits, Float.floatToRawIntBits(memory.loadF32(1)));
            memory.storeF32(5, Float.intBitsToFloat(nanBits));
            assertEquals(nanBits, memory.loadI32(5));
            long doubleNan = 0x7ff4000000000001L;
            memory.storeF64(11, Double.longBitsToDouble(doubleNan));
            assertEquals(doubleNan, memory.loadI64(11));
            assertEquals(doubleNan, Double.doubleToRawLongBits(memory.loadF64(11)));
            memory.storeF64(20, -1.5);
            assertEquals(0xBFF8000000000000L, memory.loadI64(20));
        }
    }

    @Test
    void shouldCopyV128InMemoryOrder() {
        try (LinearMemory memory = TestStorage.memory(1, 1, false)) {
            byte[] lanes = new byte[16];
            for (int i = 0; i < 16; i++) {
                lanes[i] = (byte) (i + 1);
            }
            memory.storeV128(PAGE - 16, lanes);
            assertEquals(0x04030201, memory.loadI32(PAGE - 16));
            byte[] back = new byte[16];
            memory.loadV128(PAGE - 16, back);
            assertArrayEquals(lanes, back);
            assertTrap(() -> memory.loadV128(PAGE - 15, back), PAGE - 15, 16, PAGE);
            assertThrows(IllegalArgumentException.class, () -> memory.storeV128(0, new byte[15]));
        }
    }

    @Test
    void shouldTrapEveryWidthOnePastTheEndAndWriteNothing() {
        try (LinearMemory memory = TestStorage.memory(1, 1, false)) {
            long size = memory.byteSize();
            assertTrap(() -> memory.loadI8(size), size, 1, size);
            assertTrap(() -> memory.loadI16(size - 1), size - 1, 2, size);
            assertTrap(() -> memory.loadI32(size - 3), size - 3, 4, size);
            assertTrap(() -> memory.loadI64(size - 7), size - 7, 8, size);
            assertTrap(() -> memory.loadF32(size - 3), size - 3, 4, size);
            assertTrap(() -> memory.loadF64(size - 7), size - 7, 8, size);
            assertTrap(() -> memory.storeI8(size, (byte) 1), size, 1, size);
            assertTrap(() -> memory.storeI16(size - 1, (short) 1), size - 1, 2, size);
            assertTrap(() -> memory.storeI32(size - 3, 1), size - 3, 4, size);
            assertTrap(() -> memory.storeI64(size - 7, 1), size - 7, 8, size);
            assertTrap(() -> memory.storeF32(size - 3, 1), size - 3, 4, size);
            assertTrap(() -> memory.storeF64(size - 7, 1), size - 7, 8, size);
            assertEquals(0, memory.loadI8(size - 1), "a trapping store wrote its first bytes");
            assertEquals(0, memory.loadI64(size - 8));
            memory.storeI64(size - 8, -1);
            assertEquals(-1, memory.loadI64(size - 8), "the last whole value fits");
        }
    }

    @Test
    void shouldTrapAddressesAtOrAbove2To63AsUnsignedAndNeverLeakJdkExceptions() {
        try (LinearMemory memory = TestStorage.memory(new MemoryType(IndexType.I64, PAGE, 1, 1, false))) {
            for (long address : new long[] {-1L, Long.MIN_VALUE, -8L, 1L << 32, 0xFFFF_FFFFL}) {
                MemoryAccessTrap trap = assertThrows(MemoryAccessTrap.class, () -> memory.loadI32(address));
                assertEquals(address, trap.address());
                assertTrue(trap.getMessage().contains("address=0x" + Long.toHexString(address)),
                        trap.getMessage());
                assertThrows(MemoryAccessTrap.class, () -> memory.fill(address, (byte) 1, 1));
            }
        }
    }

    @Test
    void shouldComputeEffectiveAddressesThatTrapInsteadOfWrapping() {
        try (LinearMemory i32 = TestStorage.memory(1, 1, false);
                LinearMemory i64 = TestStorage.memory(new MemoryType(IndexType.I64, PAGE, 1, 1, false))) {
            assertEquals(0xFFFF_FFFFL, i32.effectiveAddress(0xFFFF_FFFFL, 0));
            assertEquals(0xFFFF_FFFFL, i32.effectiveAddress(0xFFFF_FFF0L, 0xF));
            MemoryAccessTrap trap = assertThrows(MemoryAccessTrap.class,
                    () -> i32.effectiveAddress(0xFFFF_FFFFL, 1));
            assertEquals("out of bounds memory access: base=0xffffffff + offset=0x1 passes 2^32, memoryBytes=65536",
                    trap.getMessage());
            assertThrows(MemoryAccessTrap.class, () -> i32.effectiveAddress(0xFFFF_FFC0L, 0x10000));
            IllegalArgumentException signExtended = assertThrows(IllegalArgumentException.class,
                    () -> i32.effectiveAddress(-64, 1));
            assertTrue(signExtended.getMessage().contains("Integer.toUnsignedLong"), signExtended.getMessage());

            assertEquals(-1L, i64.effectiveAddress(Long.MIN_VALUE, Long.MAX_VALUE), "2^64 - 1 is representable");
            assertEquals(-1L, i64.effectiveAddress(-1L, 0));
            trap = assertThrows(MemoryAccessTrap.class, () -> i64.effectiveAddress(-1L, 1));
            assertTrue(trap.getMessage().contains("passes 2^64"), trap.getMessage());
            assertThrows(MemoryAccessTrap.class, () -> i64.effectiveAddress(Long.MIN_VALUE, Long.MIN_VALUE));
        }
    }

    @Test
    void shouldTrapEveryAccessOfAnEmptyMemoryButAcceptEmptyBulkOpsAtZero() {
        try (LinearMemory memory = TestStorage.memory(0, 0, false)) {
            assertEquals(0, memory.byteSize());
            assertTrap(() -> memory.loadI8(0), 0, 1, 0);
            memory.fill(0, (byte) 1, 0);
            memory.copy(0, 0, 0);
            memory.init(0, new DataSegment(new byte[0]), 0, 0);
            assertTrap(() -> memory.fill(1, (byte) 1, 0), 1, 0, 0);
            assertEquals(-1, memory.grow(1));
        }
    }

    @Test
    void shouldSeeAGrowOnTheNextAccessAndReadZeros() {
        try (LinearMemory memory = TestStorage.memory(1, 3, false)) {
            assertTrap(() -> memory.loadI32(PAGE), PAGE, 4, PAGE);
            assertEquals(1, memory.grow(1));
            assertEquals(0, memory.loadI32(PAGE), "the access after a grow re-reads the view");
            memory.storeI32(2 * PAGE - 4, 7);
            assertEquals(7, memory.loadI32(2 * PAGE - 4));
            assertEquals(-1, memory.grow(2), "past the maximum");
            assertEquals(-1, memory.grow(-1), "the delta is unsigned");
            assertEquals(2, memory.pages());
        }
    }

    @Test
    void shouldWorkFromAThreadOtherThanTheCreatorAndBeReleasedFromAnother() throws Exception {
        LinearMemory memory = TestStorage.memory(1, 2, true);
        try (ExecutorService executor = Executors.newFixedThreadPool(2)) {
            executor.submit(() -> {
                memory.grow(1);
                memory.storeI64(PAGE + 8, 42);
            }).get();
            assertEquals(42, memory.loadI64(PAGE + 8));
            executor.submit(memory::close).get();
        }
        assertEquals(false, memory.isAlive());
        assertReleased(() -> memory.loadI64(0));
    }

    @Test
    void shouldThrowMemoryReleasedAndNeverATrapOnEveryOperationAfterClose() {
        LinearMemory memory = TestStorage.memory(1, 2, true);
        memory.storeI32(0, 1);
        memory.close();
        memory.close();
        List<Runnable> operations = List.of(
                () -> memory.loadI8(0), () -> memory.loadI16(0), () -> memory.loadI32(0), () -> memory.loadI64(0),
                () -> memory.loadF32(0), () -> memory.loadF64(0), () -> memory.loadV128(0, new byte[16]),
                () -> memory.storeI8(0, (byte) 0), () -> memory.storeI16(0, (short) 0), () -> memory.storeI32(0, 0),
                () -> memory.storeI64(0, 0), () -> memory.storeF32(0, 0), () -> memory.storeF64(0, 0),
                () -> memory.storeV128(0, new byte[16]), () -> memory.read(0, new byte[4], 0, 4),
                () -> memory.write(0, new byte[4], 0, 4), () -> memory.fill(0, (byte) 0, 4),
                () -> memory.copy(0, 4, 4), () -> memory.init(0, new DataSegment(new byte[4]), 0, 4),
                () -> memory.atomicLoad(4, 0), () -> memory.atomicStore(1, 0, 0),
                () -> memory.atomicRmw(AtomicOp.ADD, 2, 0, 1), () -> memory.atomicCompareExchange(8, 0, 0, 1),
                () -> memory.wait32(0, 1, 0), () -> memory.notify(0, 1),
                () -> LinearMemory.copy(memory, 0, memory, 4, 4));
        for (Runnable operation : operations) {
            assertReleased(operation::run);
        }
        // Even an out-of-bounds address reports the release, not a trap.
        assertReleased(() -> memory.loadI32(1L << 40));
    }

    @Test
    void shouldReportTheReleaseToAnotherThreadHoldingTheOldView() throws Exception {
        LinearMemory memory = TestStorage.memory(1, 1, false);
        try (ExecutorService executor = Executors.newSingleThreadExecutor()) {
            executor.submit(() -> memory.storeI32(0, 5)).get(); // that thread now has the view cached
            memory.close();
            Future<Throwable> after = executor.submit(() -> {
                try {
                    memory.loadI32(0);
                    return null;
                } catch (RuntimeException e) {
                    return e;
                }
            });
            Throwable thrown = after.get();
            assertEquals(IllegalStateException.class, thrown.getClass(), String.valueOf(thrown));
            assertTrue(thrown.getMessage().startsWith("memory released"), thrown.getMessage());
        }
    }

    @Test
    void shouldFailOnTheClosingThreadAtOnceEvenWhileTheStorageKeepsTheOldViewWorking() {
        TestStorage storage = TestStorage.quarantining(new MemoryType(IndexType.I32, PAGE, 1, 1, true));
        LinearMemory memory = storage.memory();
        memory.storeI32(0, 9); // the plain field now holds a view that keeps working after release
        MemorySegment oldView = memory.segment();
        memory.close();
        assertEquals(9, oldView.get(ValueLayout.JAVA_INT_UNALIGNED, 0), "the quarantined view");
        assertReleased(() -> memory.loadI32(0));
        assertReleased(() -> memory.storeI32(0, 1));
        assertReleased(() -> memory.atomicLoad(4, 0));
        assertEquals(9, oldView.get(ValueLayout.JAVA_INT_UNALIGNED, 0), "nothing was written");
        storage.closeArena();
        assertReleased(() -> memory.loadI32(0));
    }

    @Test
    void shouldCheckBulkRangesBeforeWritingAnything() {
        try (LinearMemory memory = TestStorage.memory(1, 1, false)) {
            byte[] ones = new byte[32];
            java.util.Arrays.fill(ones, (byte) 1);
            assertTrap(() -> memory.write(PAGE - 16, ones, 0, 32), PAGE - 16, 32, PAGE);
            assertTrap(() -> memory.fill(PAGE - 16, (byte) 1, 17), PAGE - 16, 17, PAGE);
            assertTrap(() -> memory.fill(0, (byte) 1, -1), 0, -1, PAGE);
            memory.fill(0, (byte) 2, 16);
            assertTrap(() -> memory.copy(PAGE - 8, 0, 16), PAGE - 8, 16, PAGE);
            assertTrap(() -> memory.copy(0, PAGE - 8, 16), PAGE - 8, 16, PAGE);
            DataSegment data = new DataSegment(ones);
            assertTrap(() -> memory.init(PAGE - 8, data, 0, 16), PAGE - 8, 16, PAGE);
            MemoryAccessTrap pastSegment = assertThrows(MemoryAccessTrap.class, () -> memory.init(0, data, 20, 13));
            assertTrue(pastSegment.getMessage().startsWith("out of bounds memory access: init(segmentOffset=20"),
                    pastSegment.getMessage());
            for (long address = PAGE - 32; address < PAGE; address++) {
                assertEquals(0, memory.loadI8(address), "a trapping bulk operation wrote at " + address);
            }
            assertThrows(IndexOutOfBoundsException.class, () -> memory.read(0, new byte[4], 2, 4),
                    "the host array's bounds are the host's error");
        }
    }

    @Test
    void shouldCopyOverlappingRangesBothWays() {
        try (LinearMemory memory = TestStorage.memory(1, 1, false)) {
            for (int i = 0; i < 16; i++) {
                memory.storeI8(i, (byte) i);
            }
            memory.copy(4, 0, 12);
            for (int i = 0; i < 12; i++) {
                assertEquals(i, memory.loadI8(i + 4), "forward overlap");
            }
            memory.copy(0, 4, 12);
            for (int i = 0; i < 12; i++) {
                assertEquals(i, memory.loadI8(i), "backward overlap");
            }
        }
    }

    @Test
    void shouldInitFromADataSegmentAndTrapOnceDropped() {
        try (LinearMemory memory = TestStorage.memory(1, 1, false)) {
            DataSegment data = new DataSegment(new byte[] {1, 2, 3, 4});
            memory.init(100, data, 1, 3);
            assertEquals(0x040302, memory.loadI32(100));
            data.drop();
            assertEquals(0, data.byteSize());
            memory.init(100, data, 0, 0);
            assertThrows(MemoryAccessTrap.class, () -> memory.init(100, data, 0, 1));
            assertThrows(MemoryAccessTrap.class, () -> memory.init(100, data, 1, 0));
        }
    }

    @Test
    void shouldCopyBetweenTwoMemories() {
        try (LinearMemory from = TestStorage.memory(1, 1, false);
                LinearMemory to = TestStorage.memory(2, 2, false)) {
            from.storeI64(PAGE - 8, 0x0102030405060708L);
            LinearMemory.copy(from, PAGE - 8, to, 2 * PAGE - 8, 8);
            assertEquals(0x0102030405060708L, to.loadI64(2 * PAGE - 8));
            assertTrap(() -> LinearMemory.copy(from, PAGE - 4, to, 0, 8), PAGE - 4, 8, PAGE);
            assertTrap(() -> LinearMemory.copy(to, 0, from, PAGE - 4, 8), PAGE - 4, 8, PAGE);
            assertEquals(0, to.loadI64(0));
        }
    }

    static void assertTrap(Runnable access, long address, long widthBytes, long memoryBytes) {
        MemoryAccessTrap trap = assertThrows(MemoryAccessTrap.class, access::run);
        assertEquals(MemoryAccessTrap.Kind.OUT_OF_BOUNDS, trap.kind());
        assertEquals(address, trap.address(), "address");
        assertEquals(widthBytes, trap.widthBytes(), "widthBytes");
        assertEquals(memoryBytes, trap.memoryBytes(), "memoryBytes");
        assertEquals("out of bounds memory access: address=0x" + Long.toHexString(address) + ", widthBytes="
                + Long.toUnsignedString(widthBytes) + ", memoryBytes=" + memoryBytes, trap.getMessage());
    }

    static void assertReleased(org.junit.jupiter.api.function.Executable access) {
        IllegalStateException e = assertThrows(IllegalStateException.class, access);
        assertTrue(e.getMessage().startsWith("memory released"), e.getMessage());
    }
}
