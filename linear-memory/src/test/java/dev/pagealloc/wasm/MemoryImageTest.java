package dev.pagealloc.wasm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.testkit.ProcMaps;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryImageTest {
    private static final long PAGE = MemoryType.WASM_PAGE_BYTES;
    private static final int IMAGE_BYTES = 1 << 20;

    private static byte[] pattern(int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (i * 31 + 7);
        }
        return bytes;
    }

    /** Reads every page of the first {@code bytes}, so each maps the image's page. */
    private static long touch(MemorySegment view, long bytes) {
        long sum = 0;
        for (long offset = 0; offset < bytes; offset += 4096) {
            sum += view.get(JAVA_BYTE, offset);
        }
        return sum;
    }

    /** {@return the smaps Shared_Clean + Shared_Dirty of the image's range at {@code base}, in bytes} */
    private static long shared(long base) {
        return ProcMaps.sum(base, base + IMAGE_BYTES, "Shared_Clean") + ProcMaps.sum(base, base + IMAGE_BYTES,
                "Shared_Dirty");
    }

    @Test
    void shouldApplySegmentsInOrderWithZerosBetween() {
        List<MemoryImage.Segment> segments = List.of(new MemoryImage.Segment(10, new byte[] {1, 2, 3}),
                new MemoryImage.Segment(100_000, new byte[] {4}), new MemoryImage.Segment(11, new byte[] {9}));
        try (MemoryImage image = MemoryImage.of(segments);
                LinearMemory memory = LinearMemory.create(MemoryType.i32(2, 2), image)) {
            assertEquals(100_001, image.contentBytes());
            MemorySegment view = memory.segment();
            assertEquals(1, view.get(JAVA_BYTE, 10));
            assertEquals(9, view.get(JAVA_BYTE, 11));
            assertEquals(3, view.get(JAVA_BYTE, 12));
            assertEquals(4, view.get(JAVA_BYTE, 100_000));
            assertEquals(0, view.get(JAVA_BYTE, 0));
            assertEquals(0, view.get(JAVA_BYTE, 100_001));
            assertEquals(0, view.get(JAVA_BYTE, 2 * PAGE - 1));
        }
    }

    @Test
    void shouldShareImagePagesUntilWritten() {
        byte[] bytes = pattern(IMAGE_BYTES);
        MemoryType type = MemoryType.i32(IMAGE_BYTES / PAGE, 64);
        try (MemoryImage image = MemoryImage.of(0, bytes);
                LinearMemory a = LinearMemory.create(type, image);
                LinearMemory b = LinearMemory.create(type, image)) {
            assertTrue(image.isCopyOnWrite(), image.mechanism());
            touch(a.segment(), IMAGE_BYTES);
            touch(b.segment(), IMAGE_BYTES);
            long baseA = a.segment().address();
            long baseB = b.segment().address();
            // Both map the memfd's pages: each page is mapped twice, so smaps counts it shared (Shared_Dirty:
            // shmem pages count as dirty, they have no file to be clean against), and each memory's Pss is half.
            assertEquals(IMAGE_BYTES, shared(baseA));
            assertEquals(0, ProcMaps.sum(baseA, baseA + IMAGE_BYTES, "Anonymous"));
            assertEquals(IMAGE_BYTES / 2, ProcMaps.sum(baseA, baseA + IMAGE_BYTES, "Pss"));
            assertEquals(IMAGE_BYTES, shared(baseB));

            a.segment().set(JAVA_BYTE, 5, (byte) 0);
            a.segment().set(JAVA_BYTE, 3 * 4096, (byte) 0);
            // a holds two anonymous copies; b still maps the image's pages, two of them now its alone.
            assertEquals(2 * 4096, ProcMaps.sum(baseA, baseA + IMAGE_BYTES, "Anonymous"), "two copied pages");
            assertEquals(IMAGE_BYTES - 2 * 4096, shared(baseA));
            assertEquals(0, ProcMaps.sum(baseB, baseB + IMAGE_BYTES, "Anonymous"));
            assertEquals(IMAGE_BYTES - 2 * 4096, shared(baseB));
            assertEquals(bytes[5], b.segment().get(JAVA_BYTE, 5), "b still reads the image");
            byte[] read = new byte[IMAGE_BYTES];
            MemorySegment.copy(b.segment(), JAVA_BYTE, 0, read, 0, IMAGE_BYTES);
            assertTrue(Arrays.equals(bytes, read));
            // Grown pages past the image are plain anonymous zero pages.
            assertEquals(IMAGE_BYTES / PAGE, a.grow(1));
            assertEquals(0, a.segment().get(JAVA_BYTE, IMAGE_BYTES));
        }
    }

    @Test
    void shouldResetPoolSlotsToTheImage() {
        byte[] bytes = pattern(4 * (int) PAGE);
        try (MemoryImage image = MemoryImage.of(0, bytes);
                MemoryPool pool = MemoryPool.builder().withSlots(1).withSlotBytes(16 * PAGE)
                        .withGuardBytes(PAGE).withViewBatch(1).withKeepResidentBytes(PAGE).build()) {
            MemoryType type = MemoryType.i32(4, 16);
            try (LinearMemory first = pool.acquire(type, image)) {
                assertEquals(bytes[100], first.segment().get(JAVA_BYTE, 100));
                first.grow(2);
                first.segment().fill((byte) 0x77);
            }
            try (LinearMemory second = pool.acquire(type, image)) {
                byte[] read = new byte[bytes.length];
                MemorySegment.copy(second.segment(), JAVA_BYTE, 0, read, 0, read.length);
                assertTrue(Arrays.equals(bytes, read), "the slot reads the image again");
                assertEquals(4 * PAGE, second.byteSize());
                assertEquals(4, second.grow(2));
                assertEquals(0, second.segment().get(JAVA_BYTE, 5 * PAGE), "past the image: zero");
            }
            try (LinearMemory plain = pool.acquire(type)) {
                for (long offset = 0; offset < 4 * PAGE; offset += 512) {
                    assertEquals(0, plain.segment().get(JAVA_BYTE, offset), "no image without one");
                }
            }
        }
    }

    @Test
    void shouldRefuseImagesPastTheMinimum() {
        try (MemoryImage image = MemoryImage.of(PAGE, new byte[] {1})) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> LinearMemory.create(MemoryType.i32(1, 2), image));
            assertTrue(e.getMessage().contains("end past the memory's minimum size of 65536 bytes"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> MemoryImage.of(0, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> new MemoryImage.Segment(-1, new byte[1]));
        MemoryImage closed = MemoryImage.of(0, new byte[] {1});
        closed.close();
        assertThrows(IllegalStateException.class, () -> LinearMemory.create(MemoryType.i32(1, 1), closed));
    }
}
