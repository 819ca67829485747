package dev.pagealloc.wasm;

import java.lang.foreign.MemorySegment;

/**
 * A memory in a {@link MemoryPool} slot. Its views belong to its generation's shared arena, so any thread may
 * use them; after {@link #release()} {@link #view()} throws at once, and views taken before keep reaching
 * only this slot, which no one else gets until the generation's arena is closed (they then throw
 * {@link IllegalStateException}).
 *
 * <p>Thread-safe: grow and release run under the pool's lock; {@link #view()} and {@link #byteSize()} read
 * volatiles.
 */
final class PoolStorage implements MemoryStorage {
    private final MemoryPool pool;
    final PoolSlot slot;
    final PoolGeneration generation;
    private final long pageBytes;
    private final long limitPages;
    /** The view of {@code [0, byteSize)}; null once released. Written after the pages are committed. */
    private volatile MemorySegment view;
    private volatile long byteSize;

    PoolStorage(MemoryPool pool, PoolSlot slot, PoolGeneration generation, long pageBytes, long limitPages,
            MemorySegment view) {
        this.pool = pool;
        this.slot = slot;
        this.generation = generation;
        this.pageBytes = pageBytes;
        this.limitPages = limitPages;
        this.view = view;
        this.byteSize = view.byteSize();
    }

    @Override
    public MemorySegment view() {
        MemorySegment current = view;
        if (current == null) {
            throw new IllegalStateException("view(): the memory was released to its pool");
        }
        return current;
    }

    @Override
    public long byteSize() {
        return byteSize;
    }

    @Override
    public long grow(long deltaPages) {
        return pool.grow(this, deltaPages);
    }

    /** Called by the pool, under its lock, with a delta already checked. */
    long pages() {
        return byteSize / pageBytes;
    }

    long limitPages() {
        return limitPages;
    }

    long pageBytes() {
        return pageBytes;
    }

    boolean released() {
        return view == null;
    }

    /** Publishes the grown view, under the pool's lock, after the pages are committed. */
    void publish(MemorySegment grown) {
        view = grown;
        byteSize = grown.byteSize();
    }

    /** Marks the memory released, under the pool's lock; {@return whether it was live} */
    boolean markReleased() {
        if (view == null) {
            return false;
        }
        view = null;
        return true;
    }

    @Override
    public void release() {
        pool.release(this);
    }

    @Override
    public boolean isReleased() {
        return view == null;
    }
}
