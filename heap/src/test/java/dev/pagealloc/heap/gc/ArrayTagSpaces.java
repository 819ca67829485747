package dev.pagealloc.heap.gc;

import dev.pagealloc.api.MemoryTagging;
import dev.pagealloc.api.TagMismatchException;
import dev.pagealloc.api.TagSpace;
import java.util.Random;

/**
 * Object tag spaces for the heap's own tests (module {@code heap} cannot see the software tagger): a byte
 * array of tags per range, the default include mask (tags 1 to 15), synchronous checks. Follows
 * {@link TagSpace}'s contract; not a second tagger for use outside tests.
 */
final class ArrayTagSpaces implements ObjectTagSpaces {
    private static final MemoryTagging TAGGING = new MemoryTagging(MemoryTagging.TaggingPolicy.SOFTWARE,
            MemoryTagging.TagCheckMode.SYNC, MemoryTagging.DEFAULT_INCLUDE_MASK);
    private final Random random;

    ArrayTagSpaces(long seed) {
        this.random = new Random(seed);
    }

    @Override
    public TagSpace open(long baseAddress, long byteSize) {
        return new Space(baseAddress, byteSize);
    }

    private final class Space implements TagSpace {
        private final long base;
        private final byte[] tags;

        Space(long base, long byteSize) {
            this.base = base;
            this.tags = new byte[Math.toIntExact(byteSize / GRANULE_BYTES)];
        }

        @Override
        public MemoryTagging tagging() {
            return TAGGING;
        }

        @Override
        public long baseAddress() {
            return base;
        }

        @Override
        public long byteSize() {
            return (long) tags.length * GRANULE_BYTES;
        }

        @Override
        public synchronized int tagAt(long byteOffset) {
            return tags[Math.toIntExact(byteOffset / GRANULE_BYTES)];
        }

        @Override
        public synchronized void setTags(long byteOffset, long byteLength, int tag) {
            for (long at = byteOffset; at < byteOffset + byteLength; at += GRANULE_BYTES) {
                tags[Math.toIntExact(at / GRANULE_BYTES)] = (byte) tag;
            }
        }

        @Override
        public synchronized long pointer(long byteOffset) {
            return TagSpace.withTag(base + byteOffset, tagAt(byteOffset));
        }

        @Override
        public synchronized long tagNew(long byteOffset, long byteLength) {
            int first = Math.toIntExact(byteOffset / GRANULE_BYTES);
            int last = Math.toIntExact((byteOffset + byteLength) / GRANULE_BYTES - 1);
            int excluded = 1 | 1 << tags[first] | (first > 0 ? 1 << tags[first - 1] : 0)
                    | (last + 1 < tags.length ? 1 << tags[last + 1] : 0);
            int tag;
            do {
                tag = random.nextInt(16);
            } while ((excluded & 1 << tag) != 0);
            setTags(byteOffset, byteLength, tag);
            return TagSpace.withTag(base + byteOffset, tag);
        }

        @Override
        public synchronized long retag(long pointer, long byteLength) {
            long offset = check(pointer, 1, true);
            return tagNew(offset, byteLength);
        }

        @Override
        public synchronized long check(long pointer, long byteLength, boolean store) {
            long offset = TagSpace.addressOf(pointer) - base;
            for (long at = offset & -GRANULE_BYTES; at < offset + byteLength; at += GRANULE_BYTES) {
                if (tagAt(at) != TagSpace.tagOf(pointer)) {
                    throw new TagMismatchException(store ? "store" : "load", pointer, byteLength,
                            Math.max(base + at, TagSpace.addressOf(pointer)), tagAt(at));
                }
            }
            return offset;
        }

        @Override
        public void throwPendingMismatch() {
        }
    }
}
