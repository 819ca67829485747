package dev.pagealloc.tagging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.MemoryTagging;
import dev.pagealloc.api.MemoryTagging.TagCheckMode;
import dev.pagealloc.api.MemoryTagging.TaggingPolicy;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.TagMismatchException;
import dev.pagealloc.api.TagSpace;
import dev.pagealloc.api.ViewSharing;
import dev.pagealloc.wasm.LinearMemory;
import dev.pagealloc.wasm.MemoryType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Use after free and linear overflow into a neighbour, caught in the linear memory and the manual heap. */
class TaggedLayersTest {
    private static final MemoryTagging SYNC = MemoryTagging.of(TaggingPolicy.SOFTWARE, TagCheckMode.SYNC);

    @Test
    void shouldCatchUseAfterFreeAndOverflowInALinearMemory() {
        try (LinearMemory memory = LinearMemory.create(MemoryType.i32(1, 4));
                TaggedLinearMemory tagged = TaggedLinearMemory.of(memory, SYNC)) {
            long a = tagged.allocate(1024, 24); // the guest asked for 24 bytes: 32 are tagged
            long b = tagged.allocate(1056, 16);
            assertEquals(1024, TagSpace.addressOf(a));
            assertNotEquals(TagSpace.tagOf(a), TagSpace.tagOf(b));
            tagged.storeI32(a + 20, 7);
            tagged.storeI64(b + 8, -1);
            assertEquals(7, tagged.loadI32(a + 20));
            TagMismatchException overflow = assertThrows(TagMismatchException.class, () -> tagged.loadI64(a + 28));
            assertEquals(1056, overflow.address(), "the first byte of the neighbour");
            assertThrows(TagMismatchException.class, () -> tagged.storeI8(a + 32, (byte) 1));
            assertThrows(TagMismatchException.class, () -> tagged.copy(a, b, 32), "a copy running past b");
            assertEquals(-1, memory.loadI64(1064), "the refused store wrote nothing");

            tagged.free(a, 24);
            TagMismatchException useAfterFree = assertThrows(TagMismatchException.class, () -> tagged.loadI32(a + 20));
            assertEquals(TagSpace.tagOf(a), useAfterFree.pointerTag());
            assertNotEquals(TagSpace.tagOf(a), useAfterFree.memoryTag());
            assertThrows(TagMismatchException.class, () -> tagged.free(a, 24), "a double free");
            assertEquals(7, memory.loadI32(1044), "the memory itself is untouched: plain accesses see no tags");
            long c = tagged.allocate(2048, 64);
            TaggedLinearMemory.CheckedView view = tagged.view(c, 64);
            view.storeI64(56, 9);
            assertEquals(9, view.loadI64(56));
            assertThrows(IndexOutOfBoundsException.class, () -> view.loadI32(62), "past the allocation");
            tagged.free(c, 64);
            assertThrows(TagMismatchException.class, () -> view.loadI32(0), "the view of a freed allocation");
            assertThrows(TagMismatchException.class, () -> tagged.view(b, 32), "a view running into a neighbour");
            long again = tagged.allocate(1024, 24);
            tagged.storeF64(again, 2.5);
            assertEquals(2.5, tagged.loadF64(again));
        }
    }

    @Test
    void shouldCheckMisalignedAccessesAcrossGranulesWhereAlignedOnesTakeTheShortTest() {
        // The fast check accepts an access aligned to its power-of-two width without the granule-fit compare; a
        // misaligned one takes the compare, and one that crosses into the next granule is decided slowly.
        try (LinearMemory memory = LinearMemory.create(MemoryType.i32(1, 4));
                TaggedLinearMemory tagged = TaggedLinearMemory.of(memory, SYNC)) {
            long a = tagged.allocate(512, 32);
            long b = tagged.allocate(544, 16);
            tagged.storeI64(a + 24, 0x0102_0304_0506_0708L); // aligned, last 8 bytes of a
            assertEquals(0x0506_0708, tagged.loadI32(a + 24));
            assertEquals(0x0304_0506, tagged.loadI32(a + 26), "misaligned, within one granule");
            assertEquals(0x0102_0304_0506_0708L, tagged.loadI64(a + 24));
            assertEquals(0L, tagged.loadI64(a + 9), "misaligned across two granules of a: checked slowly, passes");
            TagMismatchException crossing = assertThrows(TagMismatchException.class, () -> tagged.loadI32(a + 30));
            assertEquals(544, crossing.address(), "the first byte of b");
            assertEquals(TagSpace.tagOf(b), crossing.memoryTag());
            assertThrows(TagMismatchException.class, () -> tagged.storeI16(a + 31, (short) 1));
            assertThrows(TagMismatchException.class, () -> tagged.loadI16(b - 1));
            assertEquals(0, memory.loadI16(544), "the refused store wrote nothing");
        }
    }

    @Test
    void shouldUpdateWithOneCheckAndRefuseAStalePointerBeforeEitherAccess() {
        try (LinearMemory memory = LinearMemory.create(MemoryType.i32(1, 4));
                TaggedLinearMemory tagged = TaggedLinearMemory.of(memory, SYNC)) {
            long a = tagged.allocate(256, 16);
            tagged.storeI32(a + 12, 41);
            assertEquals(42, tagged.updateI32(a + 12, v -> v + 1));
            assertEquals(42, memory.loadI32(268));
            assertEquals(-8, tagged.updateI64(a, v -> v - 8));
            assertEquals(42, tagged.loadI32((a + 12) | 0xF000_0000_0000_0000L), "bits 60-63 are no part of the tag");
            long b = tagged.allocate(272, 16);
            assertThrows(TagMismatchException.class, () -> tagged.updateI64(a + 12, v -> v + 1), "into b");
            tagged.free(a, 16);
            int[] calls = {0};
            TagMismatchException e = assertThrows(TagMismatchException.class,
                    () -> tagged.updateI32(a + 12, v -> ++calls[0]));
            assertEquals("load", e.getMessage().substring(0, 4), e.getMessage());
            assertEquals(0, calls[0], "nothing was loaded");
            assertEquals(42, memory.loadI32(268), "nothing was stored");
            assertEquals(0, memory.loadI64(272), "the neighbour untouched");
            assertEquals(TagSpace.tagOf(b), tagged.tags().tagAt(272));
        }
        MemoryTagging async = MemoryTagging.of(TaggingPolicy.SOFTWARE, TagCheckMode.ASYNC);
        try (LinearMemory memory = LinearMemory.create(MemoryType.i32(1, 4));
                TaggedLinearMemory tagged = TaggedLinearMemory.of(memory, async)) {
            long a = tagged.allocate(256, 16);
            tagged.free(a, 16);
            assertEquals(1, tagged.updateI32(a, v -> v + 1), "reported later: both accesses happen");
            TagMismatchException e = assertThrows(TagMismatchException.class,
                    () -> tagged.tags().throwPendingMismatch());
            assertTrue(e.getMessage().startsWith("load(pointer=0x"), e.getMessage());
        }
    }

    @Test
    void shouldCatchUseAfterFreeAndOverflowInTheManualHeap() {
        PageAllocator pages = PageAllocator.builder().withViewSharing(ViewSharing.SHARED)
                .withMemoryTagging(TaggingPolicy.SOFTWARE, TagCheckMode.SYNC).build();
        try (TaggedManualHeap heap = TaggedManualHeap.create(pages)) {
            List<Long> blocks = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                blocks.add(heap.allocate(64));
            }
            long a = -1;
            long b = -1;
            for (long x : blocks) {
                for (long y : blocks) {
                    if (TagSpace.addressOf(y) == TagSpace.addressOf(x) + 64) {
                        a = x;
                        b = y;
                    }
                }
            }
            assertTrue(a != -1, "64 blocks of one size class include two neighbours");
            long first = a;
            long second = b;
            assertNotEquals(TagSpace.tagOf(first), TagSpace.tagOf(second), "neighbours never share a tag");
            heap.setLong(first + 56, 11);
            heap.setLong(second, 22);
            assertThrows(TagMismatchException.class, () -> heap.getLong(first + 64), "overflow into the neighbour");
            assertThrows(TagMismatchException.class, () -> heap.setInt(first + 62, 0), "straddling the boundary");
            assertEquals(22, heap.getLong(second));

            heap.free(first);
            TagMismatchException e = assertThrows(TagMismatchException.class, () -> heap.getLong(first + 56));
            assertTrue(e.getMessage().startsWith("load(pointer=0x" + Long.toHexString(first + 56) + ", byteLength=8)"
                    + ": tag mismatch at 0x" + Long.toHexString(TagSpace.addressOf(first) + 56)), e.getMessage());
            assertThrows(TagMismatchException.class, () -> heap.free(first), "a double free");
            assertEquals(22, heap.getLong(second), "the neighbour is intact");
            heap.copy(second, second + 16, 8);
            assertEquals(22, heap.getLong(second + 16));
        }
    }

    @Test
    void shouldRefuseAHeapWithoutSoftwareTagging() {
        PageAllocator plain = PageAllocator.builder().withViewSharing(ViewSharing.SHARED).build();
        assertEquals("TaggedManualHeap.create(allocator.memoryTagging=" + MemoryTagging.NONE
                + "): needs software tagging",
                assertThrows(IllegalArgumentException.class, () -> TaggedManualHeap.create(plain)).getMessage());
    }
}
