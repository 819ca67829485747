package dev.pagealloc.heap.manual;

import dev.pagealloc.api.Region;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A block with a region of its own: whole pages, with as many again reserved so that it can grow
 * in place. {@link #byteSize} is guarded by this object's monitor.
 */
final class LargeBlock {
    final Region region;
    final long offset;
    long byteSize;
    /** In checked mode, the block's own scope, closed when it is freed; otherwise null. */
    final Arena scope;

    LargeBlock(Region region, long offset, long byteSize, Arena scope) {
        this.region = region;
        this.offset = offset;
        this.byteSize = byteSize;
        this.scope = scope;
    }

    long address() {
        return region.address() + offset;
    }

    MemorySegment block() {
        return region.segment(offset, byteSize);
    }

    /** {@return the block as handed out: {@link #block()}, in checked mode bound to the block's scope} */
    @SuppressWarnings("restricted")
    MemorySegment handedOut() {
        MemorySegment block = block();
        // SAFETY: block is a live view of this block's own region, within its bounds. The region is
        // deallocated only after the scope is closed (freeLarge closes it first and refuses the free if
        // a JDK call holds it; the heap's close() keeps such a region mapped), so no access through the
        // scoped segment can reach unmapped memory. The new segment has the view's exact bounds.
        return scope == null ? block : block.reinterpret(scope, null);
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
