package dev.pagealloc.heap.manual;

import dev.pagealloc.api.Region;
import java.lang.foreign.MemorySegment;

/**
 * A block with a region of its own: whole pages, with as many again reserved so that it can grow
 * in place. {@link #byteSize} is guarded by this object's monitor.
 */
final class LargeBlock {
    final Region region;
    final long offset;
    long byteSize;

    LargeBlock(Region region, long offset, long byteSize) {
        this.region = region;
        this.offset = offset;
        this.byteSize = byteSize;
    }

    long address() {
        return region.address() + offset;
    }

    MemorySegment block() {
        return region.segment(offset, byteSize);
    }

    /**
     * Resizes in place if the committed pages, or the reserved ones once committed, hold
     * {@code newByteSize}.
     *
     * @return whether it did; {@code false} leaves everything as it was
     * @throws dev.pagealloc.api.PageAllocatorException if the allocator refuses to commit the pages
     *     (the region is then as it was: see {@link Region#grow(long)})
     */
    boolean tryResize(long newByteSize) {
        long needed = offset + newByteSize;
        if (needed > region.byteSize()) {
            long pages = Math.ceilDiv(needed, region.pageBytes());
            if (pages > region.maximumPages()) {
                return false;
            }
            region.grow(pages - region.pages());
        }
        byteSize = newByteSize;
        return true;
    }
}
