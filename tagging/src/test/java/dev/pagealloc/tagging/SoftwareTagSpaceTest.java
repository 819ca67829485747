package dev.pagealloc.tagging;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.MemoryTagging;
import dev.pagealloc.api.MemoryTagging.TagCheckMode;
import dev.pagealloc.api.MemoryTagging.TaggingPolicy;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.TagMismatchException;
import dev.pagealloc.api.TagSpace;
import dev.pagealloc.testkit.ProcMaps;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The software tagger: tags, tagged pointers, checks in each mode, and its shadow in the kernel's view. */
class SoftwareTagSpaceTest {

    private static Region region(MemoryTagging tagging, long pages) {
        return PageAllocator.builder().withMemoryTagging(tagging).build().allocate(pages, pages);
    }

    private static Region region(TagCheckMode mode) {
        return region(MemoryTagging.of(TaggingPolicy.SOFTWARE, mode), 1);
    }

    @Test
    void shouldSeeGrowthAndProtectionThroughTheCachedViewAndRefuseADeallocatedRegion() {
        // A TaggedRegion keeps the region's view in a plain field and reads it again only when an access through it
        // fails: growth, a protection change (the region replaces its views) and deallocation each take that path.
        MemoryTagging sync = MemoryTagging.of(TaggingPolicy.SOFTWARE, TagCheckMode.SYNC);
        Region region = PageAllocator.builder().withMemoryTagging(sync).build().allocate(1, 4);
        try (TaggedRegion tagged = TaggedRegion.of(region)) {
            long first = tagged.tags().tagNew(0, 64);
            tagged.setInt(first, 1);
            long pageBytes = region.pageBytes();
            long second = tagged.tags().tagNew(pageBytes, 64); // tags cover the whole reservation
            assertThrows(IndexOutOfBoundsException.class, () -> tagged.getInt(second), "not committed yet");
            region.grow(1);
            tagged.setInt(second + 60, 2);
            assertEquals(2, region.segment().get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, pageBytes + 60));
            assertEquals(1, tagged.getInt(first), "the grown region's new view still reads the first page");
            region.protect(0, pageBytes, dev.pagealloc.api.Protection.READ);
            assertEquals(1, tagged.getInt(first));
            assertThrows(IllegalArgumentException.class, () -> tagged.setInt(first, 5), "read-only: refused");
            region.protect(0, pageBytes, dev.pagealloc.api.Protection.READ_WRITE);
            tagged.setInt(first, 3); // through a fresh view: the cached one was made read-only
            assertEquals(3, tagged.getInt(first));
            region.deallocate();
            assertThrows(IllegalStateException.class, () -> tagged.getInt(first), "deallocated: refused, no fault");
            assertThrows(IllegalStateException.class, () -> tagged.setLong(second, 4));
        } finally {
            if (region.isAlive()) {
                region.deallocate();
            }
        }
    }

    @Test
    void shouldCatchUseAfterFreeAndNameAddressAndBothTags() {
        try (Region region = region(TagCheckMode.SYNC); TaggedRegion tagged = TaggedRegion.of(region)) {
            TagSpace tags = tagged.tags();
            long block = tags.tagNew(64, 64);
            assertEquals(region.address() + 64, TagSpace.addressOf(block));
            int tag = TagSpace.tagOf(block);
            assertNotEquals(0, tag, "the default mask leaves tag 0 to untagged memory");
            tagged.setLong(block + 56, 42);
            assertEquals(42, tagged.getLong(block + 56));
            long after = tags.retag(block, 64);
            int newTag = TagSpace.tagOf(after);
            assertNotEquals(tag, newTag, "a free never keeps the old tag");
            TagMismatchException e = assertThrows(TagMismatchException.class, () -> tagged.getLong(block + 56));
            assertEquals("load(pointer=0x" + Long.toHexString(block + 56) + ", byteLength=8): tag mismatch at 0x"
                    + Long.toHexString(region.address() + 120) + ": pointer tag " + tag + ", memory tag " + newTag,
                    e.getMessage());
            assertEquals(tag, e.pointerTag());
            assertEquals(newTag, e.memoryTag());
            assertThrows(TagMismatchException.class, () -> tagged.setByte(block, (byte) 1));
            assertEquals(0, region.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 64),
                    "a refused store writes nothing");
            TagMismatchException doubleFree = assertThrows(TagMismatchException.class, () -> tags.retag(block, 64));
            assertTrue(doubleFree.getMessage().startsWith("free(pointer=0x" + Long.toHexString(block)),
                    doubleFree.getMessage());
            assertEquals(newTag, tags.tagAt(64), "a refused free changes no tag");
        }
    }

    @Test
    void shouldCatchLinearOverflowIntoTheNeighbourEveryTime() {
        try (Region region = region(TagCheckMode.SYNC); TaggedRegion tagged = TaggedRegion.of(region)) {
            TagSpace tags = tagged.tags();
            for (int round = 0; round < 200; round++) {
                long a = tags.tagNew(0, 32);
                long b = tags.tagNew(32, 48);
                assertNotEquals(TagSpace.tagOf(a), TagSpace.tagOf(b), "neighbours never share a tag");
                tagged.setInt(a + 28, 1);
                TagMismatchException e = assertThrows(TagMismatchException.class, () -> tagged.getLong(a + 28));
                assertEquals(region.address() + 32, e.address(), "the first granule past the block");
                assertThrows(TagMismatchException.class, () -> tagged.getByte(a + 32));
                tags.retag(a, 32);
                tags.retag(b, 48);
            }
        }
    }

    @Test
    void shouldHonourTheIncludeMaskAndNeverRepeatAGranulesTag() {
        MemoryTagging threeTags = MemoryTagging.of(TaggingPolicy.SOFTWARE, TagCheckMode.SYNC).excluding(0xFFF1);
        assertEquals(0x000E, threeTags.includeMask());
        try (Region region = region(threeTags, 1); SoftwareTagSpace tags = TagSpaces.software(region)) {
            long pointer = tags.tagNew(0, 16);
            for (int i = 0; i < 500; i++) {
                long next = tags.retag(pointer, 16);
                int tag = TagSpace.tagOf(next);
                assertTrue(tag >= 1 && tag <= 3, "tag " + tag + " outside the mask");
                assertNotEquals(TagSpace.tagOf(pointer), tag);
                pointer = next;
            }
            int second = TagSpace.tagOf(tags.tagNew(16, 16));
            tags.setTags(32, 16, 6 - TagSpace.tagOf(pointer) - second); // the third tag of 1, 2, 3
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tags.tagNew(16, 16));
            assertTrue(e.getMessage().startsWith("tag(includeMask=0xe, excluded="), e.getMessage());
        }
    }

    @Test
    void shouldReportAsynchronousMismatchesLaterAndAsymmetricLoadsAtOnce() {
        try (Region region = region(TagCheckMode.ASYNC); TaggedRegion tagged = TaggedRegion.of(region)) {
            long block = tagged.tags().tagNew(0, 16);
            tagged.setInt(block, 5);
            long stale = TagSpace.withTag(TagSpace.addressOf(block), TagSpace.tagOf(block) ^ 1);
            assertEquals(5, tagged.getInt(stale), "asynchronous: the access happens");
            tagged.setInt(stale + 4, 6);
            TagMismatchException first = assertThrows(TagMismatchException.class, tagged.tags()::throwPendingMismatch);
            assertTrue(first.getMessage().startsWith("load("), "the first mismatch is the one kept");
            tagged.tags().throwPendingMismatch(); // reported once
        }
        try (Region region = region(TagCheckMode.ASYMMETRIC); TaggedRegion tagged = TaggedRegion.of(region)) {
            long block = tagged.tags().tagNew(0, 16);
            long stale = TagSpace.withTag(TagSpace.addressOf(block), TagSpace.tagOf(block) ^ 1);
            assertThrows(TagMismatchException.class, () -> tagged.getInt(stale));
            tagged.setInt(stale, 9);
            assertEquals(9, tagged.getInt(block));
            TagMismatchException store = assertThrows(TagMismatchException.class, tagged.tags()::throwPendingMismatch);
            assertTrue(store.getMessage().startsWith("store("), store.getMessage());
        }
    }

    @Test
    void shouldReadAndWriteEveryWidthAndCopyInBulk() {
        try (Region region = region(TagCheckMode.SYNC); TaggedRegion t = TaggedRegion.of(region)) {
            long p = t.tags().tagNew(0, 128);
            t.setByte(p, (byte) -3);
            t.setShort(p + 1, (short) -300);
            t.setChar(p + 3, 'x');
            t.setInt(p + 5, 123456789);
            t.setFloat(p + 9, 1.5f);
            t.setLong(p + 13, Long.MIN_VALUE + 7);
            t.setDouble(p + 21, -2.25);
            assertEquals(-3, t.getByte(p));
            assertEquals(-300, t.getShort(p + 1));
            assertEquals('x', t.getChar(p + 3));
            assertEquals(123456789, t.getInt(p + 5));
            assertEquals(1.5f, t.getFloat(p + 9));
            assertEquals(Long.MIN_VALUE + 7, t.getLong(p + 13));
            assertEquals(-2.25, t.getDouble(p + 21));
            t.copy(p, p + 64, 29);
            byte[] out = new byte[29];
            t.read(p + 64, out, 0, 29);
            byte[] in = new byte[29];
            t.read(p, in, 0, 29);
            assertArrayEquals(in, out);
            t.write(p + 100, new byte[] {1, 2, 3}, 0, 3);
            assertEquals(0x030201, t.getInt(p + 100) & 0xFFFFFF);
            long other = t.tags().tagNew(128, 16);
            t.copy(p, other, 16);
            assertThrows(TagMismatchException.class, () -> t.copy(p, p + 128, 16), "a destination past its block");
            assertThrows(TagMismatchException.class, () -> t.copy(p + 120, p, 16), "a source running past its block");
            assertEquals(TagSpace.tagOf(p), TagSpace.tagOf(t.tags().pointer(127)));
            assertThrows(IndexOutOfBoundsException.class, () -> t.getInt(TagSpace.withTag(region.address() - 4, 0)));
        }
    }

    @Test
    void shouldCommitShadowOnlyWhereTagsAreSetInTheKernelsView() {
        long pages = 64; // 4 MiB of 64 KiB pages: 256 KiB of shadow reserved
        try (Region region = region(MemoryTagging.of(TaggingPolicy.SOFTWARE, TagCheckMode.SYNC), pages);
                SoftwareTagSpace tags = TagSpaces.software(region)) {
            long shadowBytes = pages * region.pageBytes() / TagSpace.GRANULE_BYTES;
            assertEquals(0, tags.committedShadowBytes());
            assertEquals(List.of("---p:" + shadowBytes), ProcMaps.permissions(tags.shadowAddress(),
                    tags.shadowAddress() + shadowBytes), "reserved, nothing committed");
            tags.setTags(region.byteSize() - 64, 64, 0);
            assertEquals(0, tags.committedShadowBytes(), "tag 0 needs no shadow");
            tags.tagNew(0, 16);
            long page = region.pageBytes();
            assertEquals(List.of("rw-p:" + page, "---p:" + (shadowBytes - page)),
                    ProcMaps.permissions(tags.shadowAddress(), tags.shadowAddress() + shadowBytes));
        }
    }

    @Test
    void shouldRefuseRegionsWithoutSoftwareTagging() {
        try (Region plain = PageAllocator.builder().build().allocate(1, 1)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> TaggedRegion.of(plain));
            assertEquals("software(region=0x" + Long.toHexString(plain.address())
                    + "): the region's applied tagging is " + MemoryTagging.NONE + ", not SOFTWARE; build its"
                    + " allocator withMemoryTagging(TaggingPolicy.SOFTWARE or BEST_AVAILABLE, mode)", e.getMessage());
        }
        try (Region region = region(TagCheckMode.SYNC); SoftwareTagSpace tags = TagSpaces.software(region)) {
            assertEquals("tagNew(byteOffset=8, byteLength=16): both must be multiples of 16, the length positive,"
                    + " the offset not negative",
                    assertThrows(IllegalArgumentException.class, () -> tags.tagNew(8, 16)).getMessage());
            assertThrows(IndexOutOfBoundsException.class, () -> tags.setTags(region.byteSize(), 16, 1));
            assertThrows(IllegalArgumentException.class, () -> tags.setTags(0, 16, 16));
        }
    }
}
