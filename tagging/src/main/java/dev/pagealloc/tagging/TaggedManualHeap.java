package dev.pagealloc.tagging;

import dev.pagealloc.api.MemoryTagging;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.TagMismatchException;
import dev.pagealloc.api.TagSpace;
import dev.pagealloc.heap.manual.ManualHeap;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link ManualHeap} whose blocks are tagged in software: {@link #allocate(long)} returns a tagged pointer
 * (the block's address with a random tag in bits 56 to 59, never the tag of the block before or after it),
 * loads and stores through the pointer are checked against the block's tag, and {@link #free(long)} retags
 * the block, so a pointer kept after the free fails its next access and a second free is refused.
 *
 * <p>Blocks are rounded up to whole 16-byte granules. Neighbours are told apart for certain where blocks fill
 * their size class exactly (every size up to 256 bytes rounded to 16, and the larger classes' own sizes: the
 * heap's classes are multiples of 16 up to 256, then four per doubling); past a block's slack the next block
 * differs with probability 14/15 (the default mask), as on MTE. The GC heap tags per object in its checked mode
 * ({@link GcObjectTagging}).
 *
 * <p>Thread-safe, as the heap. Accessors throw {@link TagMismatchException} for a stale or overflowing pointer
 * in a mode that reports it at once (nothing is read or written then), and {@link IllegalStateException} for
 * a pointer no live region of the heap holds (a large block whose pages went back on free).
 */
public final class TaggedManualHeap implements AutoCloseable {
    private final TaggingPageAllocator pages;
    private final ManualHeap heap;
    /** Live blocks by untagged address: the heap frees by segment. */
    private final Map<Long, MemorySegment> live = new ConcurrentHashMap<>();

    private TaggedManualHeap(TaggingPageAllocator pages, ManualHeap heap) {
        this.pages = pages;
        this.heap = heap;
    }

    /**
     * {@return a tagged heap over {@code allocator}}
     *
     * @param allocator the source of pages: shared views, software tagging
     *     ({@code withMemoryTagging(TaggingPolicy.SOFTWARE or BEST_AVAILABLE, mode)} resolving to SOFTWARE)
     * @throws IllegalArgumentException if the allocator's tagging is not software, or the heap refuses it
     */
    public static TaggedManualHeap create(PageAllocator allocator) {
        MemoryTagging.TaggingPolicy policy = allocator.config().memoryTagging().policy();
        if (policy != MemoryTagging.TaggingPolicy.SOFTWARE && policy != MemoryTagging.TaggingPolicy.BEST_AVAILABLE) {
            throw new IllegalArgumentException("TaggedManualHeap.create(allocator.memoryTagging="
                    + allocator.config().memoryTagging() + "): needs software tagging");
        }
        TaggingPageAllocator pages = new TaggingPageAllocator(allocator);
        return new TaggedManualHeap(pages, ManualHeap.builder(pages).build());
    }

    /** {@return the heap underneath (untagged: its own segments see no tags)} */
    public ManualHeap heap() {
        return heap;
    }

    /**
     * Allocates a block of at least {@code byteSize} bytes, 16-byte aligned, and tags it.
     *
     * @param byteSize the size, in bytes; {@code >= 1}
     * @return the tagged pointer to the block
     * @throws IllegalArgumentException if {@code byteSize < 1} or past the heap's maximum
     * @throws dev.pagealloc.api.PageAllocatorException if pages cannot be had; nothing changes
     */
    public long allocate(long byteSize) {
        if (byteSize < 1) {
            throw new IllegalArgumentException("allocate(byteSize=" + byteSize + "): must be at least 1");
        }
        long granules = (byteSize + TagSpace.GRANULE_BYTES - 1) & -TagSpace.GRANULE_BYTES;
        MemorySegment block = heap.allocate(granules);
        try {
            TaggedRegion region = pages.regionAt(block.address());
            long pointer = region.tags().tagNew(block.address() - region.region().address(), granules);
            live.put(block.address(), block);
            return pointer;
        } catch (RuntimeException e) {
            heap.free(block);
            throw e;
        }
    }

    /**
     * Frees a block: retags it, then gives it back to the heap.
     *
     * @param pointer the pointer {@link #allocate(long)} returned
     * @throws TagMismatchException if {@code pointer} is stale: the block was freed already (and maybe handed
     *     out again); nothing changes
     * @throws IllegalArgumentException if {@code pointer} is not the start of a block of this heap
     * @throws IllegalStateException if no live region holds it
     */
    public void free(long pointer) {
        long address = TagSpace.addressOf(pointer);
        TaggedRegion region = pages.regionAt(address);
        MemorySegment block = live.get(address);
        if (block == null) {
            region.tags().check(pointer, 1, true); // a freed block's granule has a new tag: the stale pointer fails
            throw new IllegalArgumentException("free(pointer=0x" + Long.toHexString(pointer)
                    + "): not the start of a live block of this heap");
        }
        long granules = (block.byteSize() + TagSpace.GRANULE_BYTES - 1) & -TagSpace.GRANULE_BYTES;
        region.tags().retag(pointer, granules);
        if (live.remove(address, block)) {
            heap.free(block);
        }
    }

    private TaggedRegion at(long pointer) {
        return pages.regionAt(TagSpace.addressOf(pointer));
    }

    /**
     * {@return the byte at {@code pointer}}
     *
     * @param pointer a tagged pointer into a block
     */
    public byte getByte(long pointer) {
        return at(pointer).getByte(pointer);
    }

    /**
     * {@return the 4-byte int at {@code pointer}}
     *
     * @param pointer a tagged pointer into a block
     */
    public int getInt(long pointer) {
        return at(pointer).getInt(pointer);
    }

    /**
     * {@return the 8-byte long at {@code pointer}}
     *
     * @param pointer a tagged pointer into a block
     */
    public long getLong(long pointer) {
        return at(pointer).getLong(pointer);
    }

    /**
     * {@return the 8-byte double at {@code pointer}}
     *
     * @param pointer a tagged pointer into a block
     */
    public double getDouble(long pointer) {
        return at(pointer).getDouble(pointer);
    }

    /**
     * Stores a byte.
     *
     * @param pointer a tagged pointer into a block
     * @param value the value
     */
    public void setByte(long pointer, byte value) {
        at(pointer).setByte(pointer, value);
    }

    /**
     * Stores a 4-byte int.
     *
     * @param pointer a tagged pointer into a block
     * @param value the value
     */
    public void setInt(long pointer, int value) {
        at(pointer).setInt(pointer, value);
    }

    /**
     * Stores an 8-byte long.
     *
     * @param pointer a tagged pointer into a block
     * @param value the value
     */
    public void setLong(long pointer, long value) {
        at(pointer).setLong(pointer, value);
    }

    /**
     * Stores an 8-byte double.
     *
     * @param pointer a tagged pointer into a block
     * @param value the value
     */
    public void setDouble(long pointer, double value) {
        at(pointer).setDouble(pointer, value);
    }

    /**
     * Copies between blocks (overlap-safe); the source is checked before anything is read, the destination
     * before anything is written.
     *
     * @param sourcePointer a tagged pointer to the first byte read
     * @param destinationPointer a tagged pointer to the first byte written
     * @param byteLength the length, in bytes; {@code >= 1}
     */
    public void copy(long sourcePointer, long destinationPointer, long byteLength) {
        TaggedRegion from = at(sourcePointer);
        if (from != at(destinationPointer)) {
            byte[] bytes = new byte[Math.toIntExact(byteLength)];
            from.read(sourcePointer, bytes, 0, bytes.length);
            at(destinationPointer).write(destinationPointer, bytes, 0, bytes.length);
            return;
        }
        from.copy(sourcePointer, destinationPointer, byteLength);
    }

    /**
     * Closes the heap (every block and region goes) and releases the tags.
     *
     * @throws dev.pagealloc.api.KernelException if the kernel refuses an unmap
     */
    @Override
    public void close() {
        heap.close();
        live.clear();
        pages.closeTags();
    }
}
