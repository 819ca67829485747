package dev.pagealloc.jit;

import java.util.Map;
import java.util.TreeMap;

/**
 * The free blocks of one code chunk, by offset: first fit, with neighbours merged on release, so a
 * chunk that is emptied again is one block. Offsets and lengths are in bytes from the chunk's start.
 *
 * <p>Not thread-safe: the {@link CodeHeap} that owns it guards it.
 */
final class FreeList {
    /** Offset of each free block, to its length in bytes. */
    private final TreeMap<Long, Long> blocks = new TreeMap<>();
    private final long byteSize;
    private long freeBytes;

    /**
     * Creates the list of an empty chunk: one free block covering it.
     *
     * @param byteSize the chunk's size, in bytes; positive
     */
    FreeList(long byteSize) {
        this.byteSize = byteSize;
        blocks.put(0L, byteSize);
        freeBytes = byteSize;
    }

    /**
     * Takes the first block that holds {@code byteLength} bytes at an offset aligned to {@code alignmentBytes}.
     *
     * @param byteLength the length, in bytes; positive
     * @param alignmentBytes a power of two
     * @return the offset taken, or -1 if no block fits
     */
    long take(long byteLength, long alignmentBytes) {
        for (Map.Entry<Long, Long> block : blocks.entrySet()) {
            long start = block.getKey();
            long end = start + block.getValue();
            long aligned = (start + alignmentBytes - 1) & -alignmentBytes;
            if (aligned + byteLength > end) {
                continue;
            }
            blocks.remove(start);
            if (aligned > start) {
                blocks.put(start, aligned - start);
            }
            if (aligned + byteLength < end) {
                blocks.put(aligned + byteLength, end - aligned - byteLength);
            }
            freeBytes -= byteLength;
            return aligned;
        }
        return -1;
    }

    /**
     * Gives a block back, merging it with free neighbours.
     *
     * @param byteOffset its offset, as {@link #take} returned it
     * @param byteLength its length, in bytes, as taken
     */
    void give(long byteOffset, long byteLength) {
        long start = byteOffset;
        long end = byteOffset + byteLength;
        Map.Entry<Long, Long> before = blocks.floorEntry(start);
        if (before != null && before.getKey() + before.getValue() == start) {
            start = before.getKey();
            blocks.remove(start);
        }
        Long afterLength = blocks.remove(end);
        if (afterLength != null) {
            end += afterLength;
        }
        blocks.put(start, end - start);
        freeBytes += byteLength;
    }

    /** {@return whether nothing in the chunk is taken} */
    boolean isEmpty() {
        return freeBytes == byteSize;
    }

    /** {@return the free bytes, in bytes} */
    long freeBytes() {
        return freeBytes;
    }
}
