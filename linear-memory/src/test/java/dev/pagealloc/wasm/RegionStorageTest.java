package dev.pagealloc.wasm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.Region;
import dev.pagealloc.testkit.ProcMaps;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class RegionStorageTest {
    private static final long PAGE = MemoryType.WASM_PAGE_BYTES;
    private static final long GIB = 1L << 30;

    private static Region regionOf(LinearMemory memory) {
        return ((RegionStorage) storageOf(memory)).region();
    }

    static MemoryStorage storageOf(LinearMemory memory) {
        try {
            var field = LinearMemory.class.getDeclaredField("storage");
            field.setAccessible(true);
            return (MemoryStorage) field.get(memory);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void shouldReserveTheIndexSpaceAndGuardsAsTheKernelSeesIt() {
        try (LinearMemory memory = LinearMemory.create(MemoryType.i32(2, 10))) {
            long base = memory.segment().address();
            assertEquals(base, regionOf(memory).address());
            // guard 64 KiB, 2 pages read-write, the rest of 4 GiB and the 2 GiB guard inaccessible
            assertEquals(List.of("---p:65536", "rw-p:131072", "---p:" + (4 * GIB - 2 * PAGE + 2 * GIB)),
                    ProcMaps.permissions(base - 65536, base + 6 * GIB));
            assertEquals(2, memory.grow(3));
            assertEquals(base, memory.segment().address(), "the base never moves");
            assertEquals(List.of("---p:65536", "rw-p:" + 5 * PAGE, "---p:" + (4 * GIB - 5 * PAGE + 2 * GIB)),
                    ProcMaps.permissions(base - 65536, base + 6 * GIB));
        }
    }

    @Test
    void shouldReserveOnlyTheMaximumWithThatStrategy() {
        MemoryOptions options = MemoryOptions.DEFAULT.withStrategy(ReservationStrategy.MAXIMUM).withGuardBytes(0, GIB);
        try (LinearMemory memory = LinearMemory.create(MemoryType.i32(1, 4), options)) {
            long base = memory.segment().address();
            assertEquals(List.of("rw-p:65536", "---p:" + (3 * PAGE + GIB)),
                    ProcMaps.permissions(base, base + 4 * PAGE + GIB));
            assertEquals(4 * PAGE + GIB, regionOf(memory).reservedBytes());
        }
    }

    @Test
    void shouldGrowInPlaceAndRefuseWithMinusOne() {
        try (LinearMemory memory = LinearMemory.create(MemoryType.i32(1, 3))) {
            memory.segment().set(JAVA_BYTE, 0, (byte) 7);
            assertEquals(1, memory.grow(2));
            assertEquals(3, memory.pages());
            assertEquals(-1, memory.grow(1), "past the maximum");
            assertEquals(-1, memory.grow(-1), "an unsigned delta of 2^64 - 1");
            assertEquals(-1, memory.grow(0xFFFF_FFFFL), "a delta past the index type");
            assertEquals(3, memory.grow(0));
            assertEquals(7, memory.segment().get(JAVA_BYTE, 0));
            assertEquals(0, memory.segment().get(JAVA_BYTE, 3 * PAGE - 1), "grown pages read zero");
        }
    }

    @Test
    void shouldHandleMemoryZeroZero() {
        try (LinearMemory memory = LinearMemory.create(MemoryType.i32(0, 0))) {
            assertEquals(0, memory.byteSize());
            assertEquals(0, memory.segment().byteSize());
            assertEquals(0, memory.grow(0));
            assertEquals(-1, memory.grow(1));
        }
        MemoryOptions maximum = MemoryOptions.DEFAULT.withStrategy(ReservationStrategy.MAXIMUM);
        try (LinearMemory memory = LinearMemory.create(MemoryType.i32(0, 0), maximum)) {
            assertEquals(-1, memory.grow(1));
        }
    }

    @Test
    void shouldGrowByBytesWithCustomPageSizeOne() {
        MemoryType type = new MemoryType(IndexType.I32, 1, 10, 100_000, false);
        try (LinearMemory memory = LinearMemory.create(type)) {
            assertEquals(10, memory.byteSize());
            assertEquals(10, memory.grow(5));
            assertEquals(15, memory.segment().byteSize());
            assertEquals(15, memory.grow(99_985));
            assertEquals(-1, memory.grow(1));
            memory.segment().set(JAVA_BYTE, 99_999, (byte) 1);
        }
    }

    @Test
    void shouldCreateMemory64WithinTheReservationLimit() {
        MemoryOptions options = MemoryOptions.DEFAULT.withReservationLimitBytes(16 * PAGE);
        try (LinearMemory memory = LinearMemory.create(MemoryType.i64(1, -1), options)) {
            assertEquals(16 * PAGE, regionOf(memory).maximumPages() * PAGE);
            assertEquals(1, memory.grow(15));
            assertEquals(-1, memory.grow(1), "past the reservation: refused as memory.grow may");
        }
    }

    @Test
    void shouldRefuseAReleasedMemory() {
        LinearMemory memory = LinearMemory.create(MemoryType.i32(1, 2));
        memory.close();
        memory.close(); // idempotent
        assertTrue(!memory.isAlive());
        IllegalStateException e = assertThrows(IllegalStateException.class, memory::segment);
        assertTrue(e.getMessage().contains("released"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> memory.grow(1));
    }

    @Test
    void shouldWorkAndReleaseFromAnotherThread() throws Exception {
        LinearMemory memory = LinearMemory.create(MemoryType.sharedI32(1, 4));
        memory.segment().set(JAVA_BYTE, 1, (byte) 5);
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            assertEquals((byte) 5, (byte) executor.submit(() -> memory.segment().get(JAVA_BYTE, 1)).get());
            executor.submit(memory::close).get();
        } finally {
            executor.shutdown();
        }
        assertTrue(!memory.isAlive());
    }

    @Test
    void shouldPublishGrowthAtomicallyToRacingReaders() throws Exception {
        int maximumPages = 256;
        try (LinearMemory memory = LinearMemory.create(MemoryType.sharedI32(1, maximumPages))) {
            AtomicBoolean done = new AtomicBoolean();
            CountDownLatch started = new CountDownLatch(3);
            ExecutorService readers = Executors.newFixedThreadPool(3);
            List<Future<Long>> checks = new ArrayList<>();
            for (int r = 0; r < 3; r++) {
                checks.add(readers.submit(() -> {
                    started.countDown();
                    long reads = 0;
                    long lastSize = 0;
                    while (!done.get()) {
                        MemorySegment view = memory.segment();
                        long size = view.byteSize();
                        assertTrue(size >= lastSize, "the size never shrinks");
                        assertEquals(0, size % PAGE);
                        // Every page the view shows is committed: its last word reads the page number or zero.
                        long page = size / PAGE - 1;
                        long word = view.get(JAVA_LONG_UNALIGNED, size - 8);
                        assertTrue(word == 0 || word == page, "page " + page + " holds " + word);
                        lastSize = size;
                        reads++;
                    }
                    return reads;
                }));
            }
            started.await();
            for (long page = 1; page < maximumPages; page++) {
                assertEquals(page, memory.grow(1));
                memory.segment().set(JAVA_LONG_UNALIGNED, (page + 1) * PAGE - 8, page);
            }
            done.set(true);
            for (Future<Long> check : checks) {
                assertTrue(check.get() > 0);
            }
            readers.shutdown();
            assertEquals(maximumPages, memory.pages());
        }
    }
}
