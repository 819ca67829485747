package dev.pagealloc.wasm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Atomic loads, stores, read-modify-write and compare-exchange at every width, alone and contended. */
class LinearMemoryAtomicsTest {
    private static final int THREADS = 4;
    private static final int ADDS_PER_THREAD = 20_000;

    @Test
    void shouldReadModifyWriteEveryWidthLittleEndianWithoutTouchingNeighbours() {
        try (LinearMemory memory = TestStorage.memory(1, 1, true)) {
            memory.storeI64(0, 0x1111_1111_1111_1111L);
            assertEquals(0x11, memory.atomicRmw(AtomicOp.ADD, 1, 1, 0xFF));
            assertEquals(0x10, memory.atomicLoad(1, 1), "8-bit add wraps");
            assertEquals(0x1111_1111_1111_1011L, memory.loadI64(0), "neighbours kept");
            assertEquals(0x1111, memory.atomicRmw(AtomicOp.SUB, 2, 2, 0x1112));
            assertEquals(0xFFFF, memory.atomicLoad(2, 2), "16-bit sub wraps");
            assertEquals(0x1111_1111L, memory.atomicRmw(AtomicOp.XOR, 4, 4, 0xFFFF_FFFFL));
            assertEquals(0xEEEE_EEEEL, memory.atomicLoad(4, 4), "zero-extended");
            assertEquals(0xEEEE_EEEE_FFFF_1011L, memory.atomicRmw(AtomicOp.AND, 8, 0, 0x00FF_00FF_00FF_00FFL));
            assertEquals(0x00EE_00EE_00FF_0011L, memory.atomicRmw(AtomicOp.OR, 8, 0, 0x0100_0000_0000_0000L));
            assertEquals(0x01EE_00EE_00FF_0011L, memory.atomicRmw(AtomicOp.EXCHANGE, 8, 0, 7));
            assertEquals(7, memory.loadI64(0));
            memory.atomicStore(1, 3, 0x1AB);
            assertEquals(0xAB, memory.loadU8(3), "only the low byte is stored");
            assertEquals(0xAB00_0007L, memory.atomicLoad(4, 0));
        }
    }

    @Test
    void shouldCompareExchangeOnTheLowBytesOnly() {
        try (LinearMemory memory = TestStorage.memory(1, 1, true)) {
            memory.storeI32(8, 0x4433_2211);
            assertEquals(0x22, memory.atomicCompareExchange(1, 9, 0x122, 0x99), "expected wrapped to 8 bits");
            assertEquals(0x4433_9911, memory.loadI32(8));
            assertEquals(0x99, memory.atomicCompareExchange(1, 9, 0x22, 0x55), "no match, no write");
            assertEquals(0x4433_9911, memory.loadI32(8));
            assertEquals(0x4433, memory.atomicCompareExchange(2, 10, 0x4433, 0xABCD));
            assertEquals(0xABCD_9911L, memory.atomicLoad(4, 8));
            assertEquals(0xABCD_9911L, memory.atomicCompareExchange(4, 8, 0xABCD_9911L, 1));
            assertEquals(1, memory.atomicCompareExchange(8, 8, 1, -1));
            assertEquals(-1, memory.atomicLoad(8, 8));
        }
    }

    @Test
    void shouldTrapMisalignedAtomicsAtEveryWidthBeforeTheBounds() {
        try (LinearMemory memory = TestStorage.memory(1, 1, true)) {
            long size = memory.byteSize();
            for (int width : new int[] {2, 4, 8}) {
                for (long address = 1; address < width; address++) {
                    long misaligned = address;
                    assertUnaligned(() -> memory.atomicLoad(width, misaligned), misaligned, width);
                    assertUnaligned(() -> memory.atomicStore(width, misaligned, 0), misaligned, width);
                    assertUnaligned(() -> memory.atomicRmw(AtomicOp.ADD, width, misaligned, 1), misaligned, width);
                    assertUnaligned(() -> memory.atomicCompareExchange(width, misaligned, 0, 1), misaligned, width);
                }
                // Misaligned and out of bounds: "unaligned atomic" wins, as in wasmtime's threads tests.
                assertUnaligned(() -> memory.atomicLoad(width, size + 1), size + 1, width);
                LinearMemoryAccessTest.assertTrap(() -> memory.atomicLoad(width, size), size, width, size);
                LinearMemoryAccessTest.assertTrap(() -> memory.atomicRmw(AtomicOp.OR, width, size - width + width,
                        1), size, width, size);
            }
            assertUnaligned(() -> memory.wait32(2, 0, 0), 2, 4);
            assertUnaligned(() -> memory.wait64(4, 0, 0), 4, 8);
            assertUnaligned(() -> memory.notify(1, 1), 1, 4);
            LinearMemoryAccessTest.assertTrap(() -> memory.notify(size, 1), size, 4, size);
            for (int width : new int[] {0, 3, 16, -1}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> memory.atomicLoad(width, 0));
                assertTrue(e.getMessage().contains("widthBytes=" + width), e.getMessage());
            }
        }
    }

    @Test
    void shouldAllowAtomicAccessOnUnsharedMemories() {
        try (LinearMemory memory = TestStorage.memory(1, 1, false)) {
            assertEquals(0, memory.atomicRmw(AtomicOp.ADD, 4, 0, 5));
            assertEquals(5, memory.atomicLoad(4, 0));
        }
    }

    /** Every width's counters, side by side in one word so that narrow CAS loops collide. */
    @ParameterizedTest
    @ValueSource(longs = {MemoryType.WASM_PAGE_BYTES, 1})
    void shouldAddUpCountersAtEveryWidthUnderContention(long pageBytes) throws Exception {
        MemoryType type = new MemoryType(IndexType.I32, pageBytes, 65536 / pageBytes, 65536 / pageBytes, true);
        try (LinearMemory memory = TestStorage.memory(type);
                ExecutorService executor = Executors.newFixedThreadPool(THREADS)) {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                workers.add(executor.submit(() -> {
                    start.await();
                    for (int i = 0; i < ADDS_PER_THREAD; i++) {
                        memory.atomicRmw(AtomicOp.ADD, 1, 0, 1);
                        memory.atomicRmw(AtomicOp.ADD, 1, 1, 1);
                        memory.atomicRmw(AtomicOp.SUB, 2, 2, 1);
                        memory.atomicRmw(AtomicOp.ADD, 4, 4, 1);
                        memory.atomicRmw(AtomicOp.ADD, 8, 8, 1);
                        long old;
                        do {
                            old = memory.atomicLoad(2, 16);
                        } while (memory.atomicCompareExchange(2, 16, old, old + 1) != old);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> worker : workers) {
                worker.get();
            }
            long total = (long) THREADS * ADDS_PER_THREAD;
            assertEquals(total & 0xFF, memory.loadU8(0));
            assertEquals(total & 0xFF, memory.loadU8(1));
            assertEquals(-total & 0xFFFF, memory.loadU16(2));
            assertEquals(total, memory.loadU32(4));
            assertEquals(total, memory.loadI64(8));
            assertEquals(total & 0xFFFF, memory.loadU16(16));
            assertEquals(0, memory.loadU16(18), "the other half of the compare-exchange word");
        }
    }

    private static void assertUnaligned(Runnable access, long address, int widthBytes) {
        MemoryAccessTrap trap = assertThrows(MemoryAccessTrap.class, access::run);
        assertEquals(MemoryAccessTrap.Kind.UNALIGNED_ATOMIC, trap.kind());
        assertEquals(address, trap.address());
        assertEquals(widthBytes, trap.widthBytes());
        assertTrue(trap.getMessage().startsWith("unaligned atomic: address=0x" + Long.toHexString(address)),
                trap.getMessage());
    }
}
