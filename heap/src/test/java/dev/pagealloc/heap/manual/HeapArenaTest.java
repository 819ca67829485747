package dev.pagealloc.heap.manual;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class HeapArenaTest {
    private static final ManualHeap HEAP = Heaps.builder().build();

    @AfterAll
    static void close() {
        HEAP.close();
    }

    @Test
    void shouldServeTheFfmApisThatTakeASegmentAllocator() {
        try (HeapArena arena = HEAP.newArena()) {
            SegmentAllocator allocator = arena;
            MemorySegment text = allocator.allocateFrom("pagealloc");
            assertEquals("pagealloc", text.getString(0));
            assertEquals(10, text.byteSize());
            MemorySegment ints = allocator.allocateFrom(JAVA_INT, 1, 2, 3);
            assertArrayEquals(new int[] {1, 2, 3}, ints.toArray(JAVA_INT));
            assertEquals(0, ints.address() % 4);
            MemorySegment longs = allocator.allocate(JAVA_LONG, 5);
            assertEquals(0, longs.address() % 8);
            assertEquals(40, longs.byteSize());
        }
    }

    @Test
    void shouldInvalidateEverySegmentOnResetAndClose() {
        HeapArena arena = HEAP.newArena();
        MemorySegment before = arena.allocate(64);
        arena.reset();
        assertThrows(IllegalStateException.class, () -> before.get(JAVA_BYTE, 0));
        MemorySegment after = arena.allocate(64);
        assertEquals(before.address(), after.address(), "reset reuses the chunk");
        arena.close();
        assertThrows(IllegalStateException.class, () -> after.get(JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> arena.allocate(8));
    }

    @Test
    void shouldHandOutZeroedMemoryFromReusedChunks() {
        long address;
        try (HeapArena arena = HEAP.newArena()) {
            MemorySegment dirty = arena.allocate(4096);
            dirty.fill((byte) 0x55);
            address = dirty.address();
        }
        try (HeapArena arena = HEAP.newArena()) {
            MemorySegment clean = arena.allocate(4096);
            assertEquals(address, clean.address(), "the chunk was kept for reuse");
            assertEquals(-1, clean.mismatch(MemorySegment.ofArray(new byte[4096])));
        }
    }

    @Test
    void shouldZeroAWidelyWrittenChunkStrideByStrideAsItIsHandedOut() {
        int blocks = 200; // 200 KiB: past the bytes zeroed at once, so the reused chunk is zeroed in strides
        long first;
        try (HeapArena arena = HEAP.newArena()) {
            first = arena.allocate(1024, 8).address();
            for (int i = 1; i < blocks; i++) {
                arena.allocate(1024, 8).fill((byte) 0x55);
            }
            arena.allocate(7, 1).fill((byte) 0x55); // leaves the bump unaligned
        }
        MemorySegment zeros = MemorySegment.ofArray(new byte[1024]);
        try (HeapArena arena = HEAP.newArena()) {
            MemorySegment odd = arena.allocate(3, 1);
            assertEquals(first, odd.address(), "the chunk was kept for reuse");
            assertEquals(-1, odd.mismatch(zeros.asSlice(0, 3)));
            for (int i = 0; i < blocks + 50; i++) {
                MemorySegment block = arena.allocate(1024, 8);
                assertEquals(-1, block.mismatch(zeros), "block " + i + " at offset " + (block.address() - first));
                block.fill((byte) 0x66);
            }
        }
    }

    @Test
    void shouldBumpAcrossChunksAndGiveLargeRequestsTheirOwnPages() {
        try (HeapArena arena = HEAP.newArena()) {
            long total = 0;
            for (int i = 0; i < 10_000; i++) {
                MemorySegment block = arena.allocate(100, 8);
                block.set(JAVA_LONG, 0, i);
                total += 100;
            }
            assertTrue(arena.allocatedBytes() >= total);
            MemorySegment big = arena.allocate(1 << 20, 1 << 16);
            assertEquals(0, big.address() % (1 << 16));
            big.set(JAVA_BYTE, (1 << 20) - 1, (byte) 1);
        }
    }

    @Test
    void shouldCloseNestedArenasWithTheirParent() {
        HeapArena parent = HEAP.newArena();
        HeapArena child = parent.newChild();
        HeapArena grandchild = child.newChild();
        MemorySegment inChild = child.allocate(16);
        MemorySegment inGrandchild = grandchild.allocate(16);
        parent.reset();
        assertThrows(IllegalStateException.class, () -> inChild.get(JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> inGrandchild.get(JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> child.allocate(8));
        HeapArena second = parent.newChild();
        second.close();
        parent.allocate(8);
        parent.close();
    }

    @Test
    void shouldRefuseOtherThreadsAndBadArguments() throws InterruptedException {
        try (HeapArena arena = HEAP.newArena()) {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread other = Thread.ofPlatform().start(() -> {
                try {
                    arena.allocate(8);
                } catch (Throwable e) {
                    thrown.set(e);
                }
            });
            other.join();
            assertTrue(thrown.get() instanceof WrongThreadException, String.valueOf(thrown.get()));
            var e = assertThrows(IllegalArgumentException.class, () -> arena.allocate(8, 12));
            assertTrue(e.getMessage().startsWith("byteAlignment=12 must be a power of two"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> arena.allocate(-8, 8));
            assertEquals("byteSize=-8 must be >= 0", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> arena.allocate(Long.MAX_VALUE, 8));
            assertTrue(e.getMessage().startsWith("byteSize=9223372036854775807 with byteAlignment=8 overflows"),
                    e.getMessage());
        }
    }
}
