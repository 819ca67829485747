package dev.pagealloc.heap.manual;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import java.util.ArrayDeque;

/**
 * The page chunks arenas bump-allocate from, with a few kept for reuse so that an arena's life
 * costs no system call. A kept chunk's memory is unreachable: the arena that used it closed the
 * scope of every segment it made.
 *
 * <p>Thread-safe (one lock).
 */
final class ArenaChunks {
    /** Chunks kept for reuse at most; more are returned to the allocator at once. */
    private static final int KEPT_MAX = 16;

    private final PageAllocator allocator;
    final long chunkBytes;
    private final long chunkPages;
    private final ArrayDeque<Chunk> kept = new ArrayDeque<>();
    /**
     * Set by {@link #close()} (the heap's close, after its own volatile flag) under the lock; the arenas'
     * fast paths read it without the lock, as a plain field the JIT may keep out of their loops: a close
     * that happens-before an allocation is seen by it, and one racing with it is safe either way (an
     * arena's chunks are returned only by the arena's own close).
     */
    boolean closed;

    ArenaChunks(PageAllocator allocator, long chunkBytes) {
        this.allocator = allocator;
        this.chunkPages = Math.max(1, chunkBytes / allocator.pageBytes());
        this.chunkBytes = chunkPages * allocator.pageBytes();
    }

    /** A chunk and how far arenas have written in it (what must be zeroed before reuse). */
    static final class Chunk {
        final Region region;
        long writtenBytes;
        /**
         * The id of the arena that wrote (or zeroed) every byte below {@link #writtenBytes}, which may then
         * skip zeroing them for its own non-zeroing allocations; 0 if none did.
         */
        long lastArena;

        Chunk(Region region) {
            this.region = region;
        }
    }

    Chunk acquire() {
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("the heap is closed");
            }
            Chunk chunk = kept.pollFirst();
            if (chunk != null) {
                return chunk;
            }
        }
        return new Chunk(allocator.allocate(chunkPages, chunkPages));
    }

    long pageBytes() {
        return allocator.pageBytes();
    }

    Region allocateRegion(long pages) {
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("the heap is closed");
            }
        }
        return allocator.allocate(pages, pages);
    }

    void release(Chunk chunk) {
        synchronized (this) {
            if (!closed && kept.size() < KEPT_MAX) {
                kept.addFirst(chunk);
                return;
            }
        }
        chunk.region.deallocate();
    }

    /** {@return the bytes of the kept chunks, now returned to the allocator} */
    long releaseKept() {
        ArrayDeque<Chunk> released;
        synchronized (this) {
            released = new ArrayDeque<>(kept);
            kept.clear();
        }
        long bytes = 0;
        for (Chunk chunk : released) {
            bytes += chunk.region.byteSize();
            chunk.region.deallocate();
        }
        return bytes;
    }

    void close() {
        synchronized (this) {
            closed = true;
        }
        releaseKept();
    }
}
