package dev.pagealloc.tagging;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_CHAR_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import dev.pagealloc.api.Region;
import dev.pagealloc.api.TagMismatchException;
import dev.pagealloc.api.TagSpace;
import java.lang.foreign.MemorySegment;

/**
 * Tag-checked access to a software-tagged region: every load and store goes through a tagged pointer
 * (an address of the region with the tag in bits 56 to 59) and is checked against the shadow tags first.
 * Native byte order, unaligned accesses allowed.
 *
 * {@snippet :
 * PageAllocator pages = PageAllocator.builder()
 *         .withMemoryTagging(TaggingPolicy.SOFTWARE, TagCheckMode.SYNC).build();
 * try (Region region = pages.allocate(1, 1); TaggedRegion tagged = TaggedRegion.of(region)) {
 *     long block = tagged.tags().tagNew(0, 64);   // tagged pointer to a 64-byte block
 *     tagged.setInt(block + 60, 7);                // checked: the tags match
 *     tagged.tags().retag(block, 64);              // free
 *     tagged.getInt(block);                        // TagMismatchException: use after free
 * }
 * }
 *
 * <p>An access is the tag check, then one access through the region's view, kept in a plain field: the view's own
 * bounds and liveness checks are the only ones (no second test of the view's size and scope per access, as the
 * linear memory's fast path has one bound), and an access that fails them reads the region's view again
 * ({@link Region#segment()}) and retries once, so a grown region is seen and a deallocated one throws
 * {@link IllegalStateException}; the view's arena is closed before the pages are unmapped, so no access ever
 * reaches an unmapped page.
 *
 * <p>Thread-safe as far as the region's views are: build the region's allocator with
 * {@link dev.pagealloc.api.ViewSharing#SHARED} to use one from several threads. Each accessor throws
 * {@link TagMismatchException} when the tags differ in a mode that reports the access at once (nothing is read
 * or written then), {@link IndexOutOfBoundsException} outside the region's accessible bytes, and
 * {@link IllegalStateException} on a deallocated region or a closed tag space, and {@link IllegalArgumentException}
 * for a store to read-only pages.
 */
public final class TaggedRegion implements AutoCloseable {
    private final Region region;
    private final SoftwareTagSpace tags;
    /**
     * The region's view as last read; plain on purpose: a stale one is a smaller or closed view of the same region,
     * and an access it refuses reads the region's view again.
     */
    private MemorySegment data;

    private TaggedRegion(Region region, SoftwareTagSpace tags) {
        this.region = region;
        this.tags = tags;
        this.data = MemorySegment.NULL;
    }

    /**
     * {@return tagged access to {@code region}, with a new software tag space over it}
     *
     * @param region a live region tagged in software
     * @throws IllegalStateException if the region is not tagged in software, naming its applied tagging
     * @throws dev.pagealloc.api.PageAllocatorException if the shadow cannot be reserved
     */
    public static TaggedRegion of(Region region) {
        return new TaggedRegion(region, TagSpaces.software(region));
    }

    /** {@return the region} */
    public Region region() {
        return region;
    }

    /** {@return the region's tags} */
    public TagSpace tags() {
        return tags;
    }

    /**
     * The region's current view, read again after an access through the cached one failed: the region grew, its
     * access changed (a store through a view made while the pages were read-only is refused with
     * {@link IllegalArgumentException}, a view may be closed) or it was deallocated ({@link Region#segment()}
     * throws then).
     */
    private MemorySegment fresh() {
        MemorySegment d = region.segment();
        data = d;
        return d;
    }

    /** The view for a bulk access: the cached one if it covers the range and is alive, else a fresh one. */
    private MemorySegment data(long offset, long byteLength) {
        MemorySegment d = data;
        return offset + byteLength > d.byteSize() || !d.scope().isAlive() ? fresh() : d;
    }

    private long load(long pointer, long byteLength) {
        return tags.check(pointer, byteLength, false);
    }

    private long store(long pointer, long byteLength) {
        return tags.check(pointer, byteLength, true);
    }

    /**
     * {@return the byte at {@code pointer}}
     *
     * @param pointer a tagged pointer into the region
     */
    public byte getByte(long pointer) {
        long o = load(pointer, 1);
        try {
            return data.get(JAVA_BYTE, o);
        } catch (IndexOutOfBoundsException | IllegalStateException stale) {
            return fresh().get(JAVA_BYTE, o);
        }
    }

    /**
     * {@return the 2-byte short at {@code pointer}}
     *
     * @param pointer a tagged pointer into the region
     */
    public short getShort(long pointer) {
        long o = load(pointer, 2);
        try {
            return data.get(JAVA_SHORT_UNALIGNED, o);
        } catch (IndexOutOfBoundsException | IllegalStateException stale) {
            return fresh().get(JAVA_SHORT_UNALIGNED, o);
        }
    }

    /**
     * {@return the 2-byte char at {@code pointer}}
     *
     * @param pointer a tagged pointer into the region
     */
    public char getChar(long pointer) {
        long o = load(pointer, 2);
        try {
            return data.get(JAVA_CHAR_UNALIGNED, o);
        } catch (IndexOutOfBoundsException | IllegalStateException stale) {
            return fresh().get(JAVA_CHAR_UNALIGNED, o);
        }
    }

    /**
     * {@return the 4-byte int at {@code pointer}}
     *
     * @param pointer a tagged pointer into the region
     */
    public int getInt(long pointer) {
        long o = load(pointer, 4);
        try {
            return data.get(JAVA_INT_UNALIGNED, o);
        } catch (IndexOutOfBoundsException | IllegalStateException stale) {
            return fresh().get(JAVA_INT_UNALIGNED, o);
        }
    }

    /**
     * {@return the 4-byte float at {@code pointer}}
     *
     * @param pointer a tagged pointer into the region
     */
    public float getFloat(long pointer) {
        long o = load(pointer, 4);
        try {
            return data.get(JAVA_FLOAT_UNALIGNED, o);
        } catch (IndexOutOfBoundsException | IllegalStateException stale) {
            return fresh().get(JAVA_FLOAT_UNALIGNED, o);
        }
    }

    /**
     * {@return the 8-byte long at {@code pointer}}
     *
     * @param pointer a tagged pointer into the region
     */
    public long getLong(long pointer) {
        long o = load(pointer, 8);
        try {
            return data.get(JAVA_LONG_UNALIGNED, o);
        } catch (IndexOutOfBoundsException | IllegalStateException stale) {
            return fresh().get(JAVA_LONG_UNALIGNED, o);
        }
    }

    /**
     * {@return the 8-byte double at {@code pointer}}
     *
     * @param pointer a tagged pointer into the region
     */
    public double getDouble(long pointer) {
        long o = load(pointer, 8);
        try {
            return data.get(JAVA_DOUBLE_UNALIGNED, o);
        } catch (IndexOutOfBoundsException | IllegalStateException stale) {
            return fresh().get(JAVA_DOUBLE_UNALIGNED, o);
        }
    }

    /**
     * Stores a byte.
     *
     * @param pointer a tagged pointer into the region
     * @param value the value
     */
    public void setByte(long pointer, byte value) {
        long o = store(pointer, 1);
        try {
            data.set(JAVA_BYTE, o, value);
        } catch (IndexOutOfBoundsException | IllegalStateException | IllegalArgumentException stale) {
            fresh().set(JAVA_BYTE, o, value);
        }
    }

    /**
     * Stores a 2-byte short.
     *
     * @param pointer a tagged pointer into the region
     * @param value the value
     */
    public void setShort(long pointer, short value) {
        long o = store(pointer, 2);
        try {
            data.set(JAVA_SHORT_UNALIGNED, o, value);
        } catch (IndexOutOfBoundsException | IllegalStateException | IllegalArgumentException stale) {
            fresh().set(JAVA_SHORT_UNALIGNED, o, value);
        }
    }

    /**
     * Stores a 2-byte char.
     *
     * @param pointer a tagged pointer into the region
     * @param value the value
     */
    public void setChar(long pointer, char value) {
        long o = store(pointer, 2);
        try {
            data.set(JAVA_CHAR_UNALIGNED, o, value);
        } catch (IndexOutOfBoundsException | IllegalStateException | IllegalArgumentException stale) {
            fresh().set(JAVA_CHAR_UNALIGNED, o, value);
        }
    }

    /**
     * Stores a 4-byte int.
     *
     * @param pointer a tagged pointer into the region
     * @param value the value
     */
    public void setInt(long pointer, int value) {
        long o = store(pointer, 4);
        try {
            data.set(JAVA_INT_UNALIGNED, o, value);
        } catch (IndexOutOfBoundsException | IllegalStateException | IllegalArgumentException stale) {
            fresh().set(JAVA_INT_UNALIGNED, o, value);
        }
    }

    /**
     * Stores a 4-byte float.
     *
     * @param pointer a tagged pointer into the region
     * @param value the value
     */
    public void setFloat(long pointer, float value) {
        long o = store(pointer, 4);
        try {
            data.set(JAVA_FLOAT_UNALIGNED, o, value);
        } catch (IndexOutOfBoundsException | IllegalStateException | IllegalArgumentException stale) {
            fresh().set(JAVA_FLOAT_UNALIGNED, o, value);
        }
    }

    /**
     * Stores an 8-byte long.
     *
     * @param pointer a tagged pointer into the region
     * @param value the value
     */
    public void setLong(long pointer, long value) {
        long o = store(pointer, 8);
        try {
            data.set(JAVA_LONG_UNALIGNED, o, value);
        } catch (IndexOutOfBoundsException | IllegalStateException | IllegalArgumentException stale) {
            fresh().set(JAVA_LONG_UNALIGNED, o, value);
        }
    }

    /**
     * Stores an 8-byte double.
     *
     * @param pointer a tagged pointer into the region
     * @param value the value
     */
    public void setDouble(long pointer, double value) {
        long o = store(pointer, 8);
        try {
            data.set(JAVA_DOUBLE_UNALIGNED, o, value);
        } catch (IndexOutOfBoundsException | IllegalStateException | IllegalArgumentException stale) {
            fresh().set(JAVA_DOUBLE_UNALIGNED, o, value);
        }
    }

    /**
     * Copies {@code byteLength} bytes between two tagged ranges of the region (overlap-safe). Both ranges are
     * checked, every granule, before anything is copied.
     *
     * @param sourcePointer a tagged pointer to the first byte read
     * @param destinationPointer a tagged pointer to the first byte written
     * @param byteLength the length, in bytes; {@code >= 1}
     */
    public void copy(long sourcePointer, long destinationPointer, long byteLength) {
        long from = load(sourcePointer, byteLength);
        long to = store(destinationPointer, byteLength);
        MemorySegment d = data(Math.max(from, to), byteLength);
        MemorySegment.copy(d, from, d, to, byteLength);
    }

    /**
     * Copies bytes out of the region into {@code destination}.
     *
     * @param pointer a tagged pointer to the first byte read
     * @param destination the array
     * @param index the first array element written
     * @param length the bytes to copy; {@code >= 1}
     * @throws IndexOutOfBoundsException also if the array range is out of bounds
     */
    public void read(long pointer, byte[] destination, int index, int length) {
        long o = load(pointer, length);
        MemorySegment.copy(data(o, length), JAVA_BYTE, o, destination, index, length);
    }

    /**
     * Copies bytes from {@code source} into the region.
     *
     * @param pointer a tagged pointer to the first byte written
     * @param source the array
     * @param index the first array element read
     * @param length the bytes to copy; {@code >= 1}
     * @throws IndexOutOfBoundsException also if the array range is out of bounds
     */
    public void write(long pointer, byte[] source, int index, int length) {
        long o = store(pointer, length);
        MemorySegment.copy(source, index, data(o, length), JAVA_BYTE, o, length);
    }

    /**
     * Releases the tag space's shadow; the region stays as it is (deallocate it yourself).
     *
     * @throws dev.pagealloc.api.KernelException if the kernel refuses to unmap the shadow
     */
    @Override
    public void close() {
        tags.close();
    }
}
