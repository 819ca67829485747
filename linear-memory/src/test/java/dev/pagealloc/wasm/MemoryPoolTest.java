package dev.pagealloc.wasm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.testkit.ProcMaps;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

class MemoryPoolTest {
    private static final long PAGE = MemoryType.WASM_PAGE_BYTES;
    private static final long SLOT = 16 * PAGE;
    private static final long GUARD = 4 * PAGE;

    private static MemoryPool.Builder small(int slots) {
        return MemoryPool.builder().withSlots(slots).withSlotBytes(SLOT).withGuardBytes(GUARD);
    }

    private static PoolStorage storage(LinearMemory memory) {
        return (PoolStorage) RegionStorageTest.storageOf(memory);
    }

    @Test
    void shouldLayOutSlotsWithSharedGuardsAsTheKernelSeesIt() {
        try (MemoryPool pool = small(3).build();
                LinearMemory a = pool.acquire(MemoryType.i32(2, 16));
                LinearMemory b = pool.acquire(MemoryType.i32(1, 16))) {
            long base = pool.region().address();
            long stride = SLOT + GUARD;
            assertEquals(base + storage(a).slot.byteOffset, a.segment().address());
            long first = Math.min(a.segment().address(), b.segment().address());
            assertEquals(base, first);
            // guard | slot 0: 2 pages rw, rest none | guard (shared) | slot 1: 1 page rw | guard | slot 2 | guard
            List<String> expected = List.of("---p:" + GUARD, "rw-p:" + 2 * PAGE, "---p:" + (SLOT - 2 * PAGE + GUARD),
                    "rw-p:" + PAGE, "---p:" + (SLOT - PAGE + GUARD + stride));
            assertEquals(expected, ProcMaps.permissions(base - GUARD, base + 3 * stride));
        }
    }

    @Test
    void shouldNeverLeakDataBetweenOwners() {
        try (MemoryPool pool = small(1).withViewBatch(1).build()) {
            MemoryType type = MemoryType.i32(2, 16);
            long slotAddress;
            try (LinearMemory first = pool.acquire(type)) {
                slotAddress = first.segment().address();
                assertEquals(2, first.grow(6));
                first.segment().fill((byte) 0x5A);
            }
            try (LinearMemory second = pool.acquire(type)) {
                MemorySegment view = second.segment();
                assertEquals(slotAddress, view.address(), "the same slot");
                assertEquals(2 * PAGE, view.byteSize());
                for (long offset = 0; offset < view.byteSize(); offset += 8) {
                    assertEquals(0, view.get(JAVA_LONG, offset), "offset " + offset);
                }
                // the kernel: the old owner's grown pages are inaccessible again and hold nothing
                assertEquals(List.of("rw-p:" + 2 * PAGE, "---p:" + (SLOT - 2 * PAGE)),
                        ProcMaps.permissions(slotAddress, slotAddress + SLOT));
                assertEquals(0, ProcMaps.sum(slotAddress + 2 * PAGE, slotAddress + SLOT, "Rss"));
                assertEquals(2, second.grow(6));
                for (long offset = 0; offset < 8 * PAGE; offset += 4096) {
                    assertEquals(0, second.segment().get(JAVA_BYTE, offset), "grown page at " + offset);
                }
            }
        }
    }

    @Test
    void shouldKeepResidentBytesZeroedAcrossOwners() {
        try (MemoryPool pool = small(1).withViewBatch(1).withKeepResidentBytes(PAGE).build()) {
            long slotAddress;
            try (LinearMemory first = pool.acquire(MemoryType.i32(3, 16))) {
                slotAddress = first.segment().address();
                first.segment().fill((byte) 1);
            }
            assertEquals(PAGE, pool.committedBytes(), "one page kept");
            assertEquals(PAGE, ProcMaps.sum(slotAddress, slotAddress + SLOT, "Rss"), "kept resident");
            try (LinearMemory second = pool.acquire(MemoryType.i32(1, 16))) {
                for (long offset = 0; offset < PAGE; offset += 8) {
                    assertEquals(0, second.segment().get(JAVA_LONG, offset));
                }
            }
        }
    }

    @Test
    void shouldKillStaleViewsBeforeTheSlotIsReused() {
        try (MemoryPool pool = small(2).withViewBatch(2).build()) {
            LinearMemory a = pool.acquire(MemoryType.i32(1, 1));
            LinearMemory b = pool.acquire(MemoryType.i32(1, 1));
            MemorySegment staleA = a.segment();
            a.close();
            assertThrows(IllegalStateException.class, a::segment, "released: no new view");
            assertThrows(IllegalStateException.class, () -> a.grow(1));
            // Its generation still has a live member: the slot is not free, the stale view reaches only it.
            assertEquals(0, pool.freeSlots());
            staleA.set(JAVA_BYTE, 0, (byte) 9);
            assertThrows(MemoryPoolExhaustedException.class, () -> pool.acquire(MemoryType.i32(1, 1)));
            b.close();
            assertEquals(2, pool.freeSlots(), "generation retired: its arena closed, its slots reset");
            assertThrows(IllegalStateException.class, () -> staleA.get(JAVA_BYTE, 0), "the stale view is dead");
            try (LinearMemory c = pool.acquire(MemoryType.i32(1, 1));
                    LinearMemory d = pool.acquire(MemoryType.i32(1, 1))) {
                assertEquals(0, c.segment().get(JAVA_BYTE, 0));
                assertEquals(0, d.segment().get(JAVA_BYTE, 0));
            }
        }
    }

    @Test
    void shouldRefuseWhenExhaustedAndChangeNothing() {
        try (MemoryPool pool = small(2).build()) {
            LinearMemory a = pool.acquire(MemoryType.i32(1, 16));
            LinearMemory b = pool.acquire(MemoryType.i32(1, 16));
            long committed = pool.committedBytes();
            MemoryPoolExhaustedException e = assertThrows(MemoryPoolExhaustedException.class,
                    () -> pool.acquire(MemoryType.i32(1, 16)));
            assertTrue(e.getMessage().contains("all 2 slots are taken"), e.getMessage());
            assertEquals(committed, pool.committedBytes());
            assertEquals(2, pool.liveMemories());
            a.close();
            b.close();
        }
    }

    @Test
    void shouldEnforceTheCommittedBytesLimit() {
        try (MemoryPool pool = small(4).withMaximumCommittedBytes(3 * PAGE).build()) {
            LinearMemory a = pool.acquire(MemoryType.i32(2, 16));
            MemoryPoolExhaustedException e = assertThrows(MemoryPoolExhaustedException.class,
                    () -> pool.acquire(MemoryType.i32(2, 16)));
            assertTrue(e.getMessage().contains("would pass maximumCommittedBytes=" + 3 * PAGE), e.getMessage());
            assertEquals(4, pool.freeSlots() + pool.liveMemories(), "no slot lost");
            assertEquals(2, a.grow(1));
            assertEquals(-1, a.grow(1), "growth past the committed limit is refused as memory.grow does");
            assertEquals(3 * PAGE, pool.committedBytes());
            a.close();
        }
    }

    @Test
    void shouldLimitEachMemoryToItsSlot() {
        try (MemoryPool pool = small(1).build()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> pool.acquire(MemoryType.i32(17, 32)));
            assertTrue(e.getMessage().contains("passes the pool's slotBytes=" + SLOT), e.getMessage());
            try (LinearMemory memory = pool.acquire(MemoryType.i32(1))) {
                assertEquals(1, memory.grow(15));
                assertEquals(-1, memory.grow(1), "past the slot");
                assertEquals(-1, memory.grow(-1));
            }
        }
    }

    @Test
    void shouldRefuseBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> MemoryPool.builder().withSlots(0).build());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MemoryPool.builder().withSlotBytes(4096).build());
        assertTrue(e.getMessage().contains("slotBytes must be a positive multiple of 65536"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MemoryPool.builder().withGuardBytes(-65536).build());
        assertThrows(IllegalArgumentException.class,
                () -> MemoryPool.builder().withSlots(Integer.MAX_VALUE).withSlotBytes(1L << 40).build());
    }

    @Test
    void shouldServeAndReleaseFromManyThreads() throws Exception {
        try (MemoryPool pool = small(8).withViewBatch(2).build()) {
            ExecutorService executor = Executors.newFixedThreadPool(4);
            List<java.util.concurrent.Future<?>> tasks = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                byte mark = (byte) (t + 1);
                tasks.add(executor.submit(() -> {
                    for (int i = 0; i < 500; i++) {
                        LinearMemory memory;
                        try {
                            memory = pool.acquire(MemoryType.i32(1, 2));
                        } catch (MemoryPoolExhaustedException busy) {
                            Thread.onSpinWait();
                            continue;
                        }
                        MemorySegment view = memory.segment();
                        for (long offset = 0; offset < PAGE; offset += 4096) {
                            assertEquals(0, view.get(JAVA_BYTE, offset), "a fresh memory reads zero");
                        }
                        view.fill(mark);
                        assertEquals(mark, view.get(JAVA_BYTE, PAGE - 1));
                        memory.close();
                    }
                    return null;
                }));
            }
            for (var task : tasks) {
                task.get();
            }
            executor.shutdown();
            assertEquals(0, pool.liveMemories());
        }
    }

    @Test
    void shouldRefuseAClosedPool() {
        MemoryPool pool = small(1).build();
        LinearMemory memory = pool.acquire(MemoryType.i32(1, 1));
        MemorySegment view = memory.segment();
        pool.close();
        assertTrue(!memory.isAlive());
        assertThrows(IllegalStateException.class, () -> view.get(JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> pool.acquire(MemoryType.i32(1, 1)));
        assertNotEquals(0, view.address());
    }
    @Test
    void shouldPublishGrowthToRacingReaders() throws Exception {
        try (MemoryPool pool = small(1).build(); LinearMemory memory = pool.acquire(MemoryType.sharedI32(1, 16))) {
            java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
            ExecutorService readers = Executors.newFixedThreadPool(2);
            List<java.util.concurrent.Future<Long>> checks = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                checks.add(readers.submit(() -> {
                    long reads = 0;
                    do {
                        MemorySegment view = memory.segment();
                        long page = view.byteSize() / PAGE - 1;
                        long word = view.get(JAVA_LONG, view.byteSize() - 8);
                        assertTrue(word == 0 || word == page, "page " + page + " holds " + word);
                        reads++;
                    } while (!done.get());
                    return reads;
                }));
            }
            for (long page = 1; page < 16; page++) {
                assertEquals(page, memory.grow(1));
                memory.segment().set(JAVA_LONG, (page + 1) * PAGE - 8, page);
            }
            done.set(true);
            for (var check : checks) {
                assertTrue(check.get() > 0);
            }
            readers.shutdown();
            assertEquals(List.of("rw-p:" + 16 * PAGE), ProcMaps.permissions(memory.segment().address(),
                    memory.segment().address() + SLOT));
        }
    }

    @Test
    void shouldHostByteSizedPages() {
        MemoryType type = new MemoryType(IndexType.I32, 1, 10, 70_000, false);
        try (MemoryPool pool = small(1).withViewBatch(1).build()) {
            try (LinearMemory memory = pool.acquire(type)) {
                assertEquals(10, memory.byteSize());
                assertEquals(10, memory.grow(69_990));
                assertEquals(70_000, memory.segment().byteSize());
                assertEquals(-1, memory.grow(1));
                memory.segment().set(JAVA_BYTE, 69_999, (byte) 3);
                long base = memory.segment().address();
                // 70,000 bytes commit whole system pages: 18 of 4 KiB
                assertEquals(List.of("rw-p:" + 18 * 4096, "---p:" + (SLOT - 18 * 4096)),
                        ProcMaps.permissions(base, base + SLOT));
            }
        }
    }
}
