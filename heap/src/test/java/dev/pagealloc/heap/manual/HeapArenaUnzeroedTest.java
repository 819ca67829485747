package dev.pagealloc.heap.manual;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_CHAR;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The arena's allocations that skip zeroing: {@code allocateFrom} (every byte written) and
 * {@code allocateUninitialized} (zero or this arena's own earlier bytes). Each test has a heap of its own,
 * so that which chunk an arena gets back is known.
 */
class HeapArenaUnzeroedTest {
    /** More than the 32 KiB a reused chunk has zeroed at once, so its zeroing is left to the bumps. */
    private static final int DIRTY_BYTES = 64 * 1024;
    private static final MemorySegment ZEROS = MemorySegment.ofArray(new byte[DIRTY_BYTES]);

    @Test
    void allocateFromShouldWriteExactlyTheValuesOverDirtyBytes() {
        try (ManualHeap heap = Heaps.builder().build()) {
            long base = dirty(heap, (byte) 0x55);
            try (HeapArena arena = heap.newArena()) {
                MemorySegment text = arena.allocateFrom("pagealloc");
                assertEquals(base, text.address(), "the dirty chunk was reused");
                assertEquals(10, text.byteSize());
                assertEquals("pagealloc", text.getString(0));
                MemorySegment wide = arena.allocateFrom("ab", StandardCharsets.UTF_16LE);
                assertArrayEquals(new byte[] {'a', 0, 'b', 0, 0, 0}, wide.toArray(JAVA_BYTE));
                assertEquals(7, arena.allocateFrom(JAVA_BYTE, (byte) 7).get(JAVA_BYTE, 0));
                assertEquals('c', arena.allocateFrom(JAVA_CHAR, 'c').get(JAVA_CHAR, 0));
                assertEquals(-2, arena.allocateFrom(JAVA_SHORT, (short) -2).get(JAVA_SHORT, 0));
                assertEquals(1 << 20, arena.allocateFrom(JAVA_INT, 1 << 20).get(JAVA_INT, 0));
                assertEquals(1.5f, arena.allocateFrom(JAVA_FLOAT, 1.5f).get(JAVA_FLOAT, 0));
                assertEquals(-1L << 40, arena.allocateFrom(JAVA_LONG, -1L << 40).get(JAVA_LONG, 0));
                assertEquals(2.5, arena.allocateFrom(JAVA_DOUBLE, 2.5).get(JAVA_DOUBLE, 0));
                MemorySegment pointer = arena.allocateFrom(ADDRESS, text);
                assertEquals(ADDRESS.byteSize(), pointer.byteSize());
                assertEquals(text.address(), pointer.get(ADDRESS, 0).address());
                int[] ints = new int[3000]; // 12 KB, so the bump passes the next zeroed stride
                for (int i = 0; i < ints.length; i++) {
                    ints[i] = i * 31;
                }
                MemorySegment array = arena.allocateFrom(JAVA_INT, ints);
                assertEquals(ints.length * 4L, array.byteSize());
                assertEquals(0, array.address() % 4);
                assertArrayEquals(ints, array.toArray(JAVA_INT));
                MemorySegment swapped = arena.allocateFrom(JAVA_INT.withOrder(ByteOrder.BIG_ENDIAN), 1, 0x01020304);
                assertArrayEquals(new byte[] {0, 0, 0, 1, 1, 2, 3, 4}, swapped.toArray(JAVA_BYTE));
                assertThrows(IllegalArgumentException.class,
                        () -> arena.allocateFrom(JAVA_INT.withByteAlignment(8), new int[] {1}));
                MemorySegment copy = arena.allocateFrom(JAVA_LONG, MemorySegment.ofArray(new long[] {1, 2, 3, 4}),
                        JAVA_LONG, 8, 2);
                assertArrayEquals(new long[] {2, 3}, copy.toArray(JAVA_LONG));
            }
        }
    }

    @Test
    void allocateShouldStillReadZeroAfterAllocateFromSkippedTheZeroing() {
        try (ManualHeap heap = Heaps.builder().build()) {
            dirty(heap, (byte) 0x55);
            try (HeapArena arena = heap.newArena()) {
                arena.allocateFrom("x"); // two bytes over dirty ones, none zeroed; the bump left unaligned
                arena.allocateFrom(JAVA_BYTE, new byte[20_000]); // past where a first 16 KiB stride would end
                for (int i = 0; i < 64; i++) {
                    MemorySegment block = arena.allocate(1000, 8);
                    assertEquals(-1, block.mismatch(ZEROS.asSlice(0, 1000)), "block " + i);
                    block.fill((byte) 0x66);
                    arena.allocateFrom(JAVA_SHORT, (short) i);
                }
            }
        }
    }

    @Test
    void allocateUninitializedShouldReturnThisArenasOwnBytesAfterAReset() {
        try (ManualHeap heap = Heaps.builder().build()) {
            try (HeapArena arena = heap.newArena()) {
                MemorySegment first = arena.allocate(DIRTY_BYTES, 8);
                first.fill((byte) 0x77);
                long base = first.address();
                arena.reset();
                MemorySegment reused = arena.allocateUninitialized(1024, 8);
                assertEquals(base, reused.address(), "the arena got its chunk back");
                assertEquals(1024, reused.byteSize());
                assertEquals(-1, reused.mismatch(MemorySegment.ofArray(new byte[1024]).fill((byte) 0x77)),
                        "the arena's own bytes were not zeroed again");
                MemorySegment zeroed = arena.allocate(1024, 8);
                assertEquals(base + 1024, zeroed.address());
                assertEquals(-1, zeroed.mismatch(ZEROS.asSlice(0, 1024)), "allocate still zeroes");
            }
        }
    }

    @Test
    void allocateUninitializedShouldNeverReturnAnotherArenasBytes() {
        try (ManualHeap heap = Heaps.builder().build()) {
            long base = dirty(heap, (byte) 0x55);
            try (HeapArena arena = heap.newArena()) {
                long bytes = 0;
                while (bytes < DIRTY_BYTES + 4096) {
                    MemorySegment block = arena.allocateUninitialized(1000, 8);
                    if (bytes == 0) {
                        assertEquals(base, block.address(), "the other arena's chunk was reused");
                    }
                    assertEquals(-1, block.mismatch(ZEROS.asSlice(0, 1000)), "at " + (block.address() - base));
                    bytes = block.address() + 1000 - base;
                }
            }
            // A child is another arena: its parent's bytes are not its own either.
            try (HeapArena parent = heap.newArena()) {
                MemorySegment written = parent.allocate(DIRTY_BYTES, 8);
                assertEquals(base, written.address());
                written.fill((byte) 0x44);
                long next = 0;
                for (int i = 0; i < 4; i++) { // 64 + 4 x 60 KiB: the last in a second chunk
                    next = parent.allocate(60 * 1024, 8).address();
                }
                assertTrue(next < base || next >= base + heap.arenaChunks.chunkBytes, "a second chunk");
                // The reset releases both and takes back the second first, leaving the first to the child.
                parent.reset();
                HeapArena child = parent.newChild();
                MemorySegment block = child.allocateUninitialized(4096, 8);
                assertEquals(base, block.address());
                assertEquals(-1, block.mismatch(ZEROS.asSlice(0, 4096)));
            }
        }
    }

    @Test
    void aFailedCopyShouldLeaveNoOtherArenasBytesBehind() {
        try (ManualHeap heap = Heaps.builder().build()) {
            long base = dirty(heap, (byte) 0x55);
            try (HeapArena arena = heap.newArena()) {
                MemorySegment source;
                try (Arena gone = Arena.ofConfined()) {
                    source = gone.allocate(4096);
                }
                MemorySegment closedSource = source;
                assertThrows(IllegalStateException.class,
                        () -> arena.allocateFrom(JAVA_INT, closedSource, JAVA_INT, 0, 1024));
                MemorySegment heapSegment = MemorySegment.ofArray(new byte[8]);
                assertThrows(IllegalArgumentException.class, () -> arena.allocateFrom(ADDRESS, heapSegment));
                // Zeroing allocations past the dirty bytes make the whole chunk the arena's own ...
                while (arena.allocate(4096, 8).address() + 4096 - base < DIRTY_BYTES) {
                    continue;
                }
                arena.reset();
                // ... so its bytes come back unzeroed: the failed blocks' bytes must have been scrubbed.
                MemorySegment again = arena.allocateUninitialized(4096 + 16, 8);
                assertEquals(base, again.address());
                assertEquals(-1, again.mismatch(ZEROS.asSlice(0, 4096 + 16)));
            }
        }
    }

    @Test
    void shouldRefuseBadSizesClosedArenasAndOtherThreads() throws InterruptedException {
        ManualHeap heap = Heaps.builder().build();
        HeapArena arena = heap.newArena();
        var e = assertThrows(IllegalArgumentException.class, () -> arena.allocateUninitialized(-8, 8));
        assertEquals("byteSize=-8 must be >= 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> arena.allocateUninitialized(8, 12));
        assertTrue(e.getMessage().startsWith("byteAlignment=12 must be a power of two"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> arena.allocateUninitialized(Long.MAX_VALUE, 8));
        assertTrue(e.getMessage().startsWith("byteSize=9223372036854775807 with byteAlignment=8 overflows"),
                e.getMessage());
        MemorySegment longs = MemorySegment.ofArray(new long[4]);
        assertThrows(IllegalArgumentException.class,
                () -> arena.allocateFrom(JAVA_LONG, longs, JAVA_LONG, 0, Long.MAX_VALUE / 4));
        assertThrows(IndexOutOfBoundsException.class, () -> arena.allocateFrom(JAVA_LONG, longs, JAVA_LONG, 8, 4));
        assertThrows(IllegalArgumentException.class, () -> arena.allocateFrom("x", new NonStandardCharset()));

        MemorySegment big = arena.allocateUninitialized(1 << 20, 1 << 16); // a region of its own: fresh
        assertEquals(0, big.address() % (1 << 16));
        assertEquals(-1, big.asSlice(0, DIRTY_BYTES).mismatch(ZEROS));

        List<Consumer<HeapArena>> calls = new ArrayList<>();
        calls.add(a -> a.allocateUninitialized(16, 8));
        calls.add(a -> a.allocateFrom("x"));
        calls.add(a -> a.allocateFrom(JAVA_INT, 1));
        calls.add(a -> a.allocateFrom(JAVA_INT, 1, 2));
        for (Consumer<HeapArena> call : calls) {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread other = Thread.ofPlatform().start(() -> {
                try {
                    call.accept(arena);
                } catch (Throwable t) {
                    thrown.set(t);
                }
            });
            other.join();
            assertTrue(thrown.get() instanceof WrongThreadException, String.valueOf(thrown.get()));
        }

        MemorySegment text = arena.allocateFrom("gone");
        arena.reset();
        assertThrows(IllegalStateException.class, () -> text.get(JAVA_BYTE, 0));
        arena.close();
        for (Consumer<HeapArena> call : calls) {
            assertThrows(IllegalStateException.class, () -> call.accept(arena));
        }
        HeapArena open = heap.newArena();
        heap.close(); // before the arena's: its allocations must then throw
        for (Consumer<HeapArena> call : calls) {
            assertThrows(IllegalStateException.class, () -> call.accept(open));
        }
        open.close();
    }

    /** Fills the first {@value #DIRTY_BYTES} bytes of an arena chunk, kept for reuse; returns its address. */
    private static long dirty(ManualHeap heap, byte value) {
        try (HeapArena arena = heap.newArena()) {
            MemorySegment block = arena.allocate(DIRTY_BYTES, 8);
            block.fill(value);
            return block.address();
        }
    }

    /** A charset the JDK's {@code allocateFrom} does not know the terminator of. */
    private static final class NonStandardCharset extends Charset {
        NonStandardCharset() {
            super("x-pagealloc-test", null);
        }

        @Override
        public boolean contains(Charset cs) {
            return false;
        }

        @Override
        public CharsetDecoder newDecoder() {
            return StandardCharsets.ISO_8859_1.newDecoder();
        }

        @Override
        public CharsetEncoder newEncoder() {
            return StandardCharsets.ISO_8859_1.newEncoder();
        }
    }
}
