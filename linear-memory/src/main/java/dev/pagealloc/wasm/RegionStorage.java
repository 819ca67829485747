package dev.pagealloc.wasm;

import dev.pagealloc.api.DeferredUnmap;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import java.lang.foreign.MemorySegment;

/**
 * A memory of its own: one pagealloc {@link Region} reserving what {@link MemoryOptions} says, its committed
 * prefix the memory's bytes. Growth is {@link Region#tryGrow}, in place; the view published after it is the
 * region's {@link dev.pagealloc.api.ViewSharing#SHARED} view, so any thread may use it and any thread may
 * release the memory.
 *
 * <p>The region is allocated in the core's {@link DeferredUnmap} release mode, since its holder
 * ({@link #unmapWhenUnreachable}, the {@link LinearMemory}'s fast path, which checks no arena) reads it at raw
 * addresses: {@link #release()} drops the pages at once (they read zero and their memory goes back to the
 * system) but keeps the reservation mapped until the holder is unreachable, so that an access racing with the
 * release never touches an unmapped page. Until then the reservation's address space, its mappings and its
 * budget charge stay taken ({@link DeferredUnmap} says what, collects after many and retries a refused
 * reservation after a collection). A storage released before it has a holder is deallocated at once; the core
 * then discards the pages and retires the views in a batch ({@link dev.pagealloc.api.ViewQuarantine}).
 *
 * <p>Thread-safe: grow and release are serialized on this object; {@link #view()} and {@link #byteSize()}
 * read volatiles.
 */
final class RegionStorage implements MemoryStorage {
    private final DeferredUnmap lifetime;
    private final Region region;
    private final long pageBytes;
    private final long limitPages;
    /** The view of {@code [0, byteSize)}; null once released. Written after the pages are committed. */
    private volatile MemorySegment view;
    private volatile long byteSize;
    /** Whether a holder reads the region directly: release then keeps the mapping (guarded by this). */
    private boolean unmapDeferred;

    private RegionStorage(DeferredUnmap lifetime, long pageBytes, long limitPages) {
        this.lifetime = lifetime;
        this.region = lifetime.region();
        this.pageBytes = pageBytes;
        this.limitPages = limitPages;
        this.view = region.segment();
        this.byteSize = view.byteSize();
    }

    /**
     * Reserves and commits a memory of {@code type}, then applies {@code image} if given.
     *
     * @param type the type
     * @param options where it lives
     * @param image initial contents, or null
     * @return the storage
     * @throws IllegalArgumentException if the image passes the type's minimum size
     * @throws dev.pagealloc.api.PageAllocatorException if the platform refuses the reservation or the commit
     *     (nothing stays reserved; refused while released memories wait for collection, it is retried after one,
     *     see {@link DeferredUnmap#allocate}), or the image's mapping (the region is released again)
     */
    static RegionStorage create(MemoryType type, MemoryOptions options, MemoryImage image) {
        if (image != null) {
            image.requireFits(type.minimumBytes(), "create");
        }
        long reservedBytes = options.reservedBytesFor(type);
        PageAllocator allocator = Allocators.forPages(type.pageBytes(), options.guardBeforeBytes(),
                options.guardAfterBytes());
        long reservedPages = reservedBytes / type.pageBytes();
        DeferredUnmap lifetime = DeferredUnmap.allocate(allocator, type.minimumPages(), reservedPages);
        try {
            if (image != null) {
                Region region = lifetime.region();
                image.applyTo(region.address(), region.segment(), "create");
            }
            long limitPages = Math.min(reservedPages, type.hasMaximum() ? type.maximumPages() : reservedPages);
            return new RegionStorage(lifetime, type.pageBytes(), limitPages);
        } catch (RuntimeException | Error e) {
            lifetime.release(); // no holder yet: deallocated at once
            throw e;
        }
    }

    @Override
    public MemorySegment view() {
        MemorySegment current = view;
        if (current == null) {
            throw released("view");
        }
        return current;
    }

    @Override
    public long byteSize() {
        return byteSize;
    }

    @Override
    public synchronized long grow(long deltaPages) {
        if (view == null) {
            throw released("grow(deltaPages=" + Long.toUnsignedString(deltaPages) + ")");
        }
        long oldPages = byteSize / pageBytes;
        // Unsigned: a negative long is a delta past 2^63 pages, which no memory can take.
        if (deltaPages < 0 || deltaPages > limitPages - oldPages) {
            return -1;
        }
        if (deltaPages == 0) {
            return oldPages;
        }
        if (region.tryGrow(deltaPages) < 0) {
            return -1;
        }
        MemorySegment grown = region.segment();
        view = grown; // published after the kernel committed the pages
        byteSize = grown.byteSize();
        return oldPages;
    }

    @Override
    public synchronized void release() {
        if (view == null) {
            return;
        }
        view = null;
        if (!unmapDeferred) {
            lifetime.release(); // no holder: deallocated at once, its errors the caller's
            return;
        }
        try {
            lifetime.release();
        } catch (RuntimeException e) {
            // The kernel kept the pages: they hold the old bytes until the cleaner unmaps them. Nothing else
            // depends on the discard, and a release has no caller that could do better with the error.
        }
    }

    /**
     * Keeps the region mapped after {@link #release()} for as long as {@code holder} is reachable, and
     * deallocates it once {@code holder} is unreachable (released or not; {@link DeferredUnmap}). Called once, by
     * the holder's constructor.
     *
     * @param holder the object whose reachability keeps the mapping
     */
    synchronized void unmapWhenUnreachable(Object holder) {
        unmapDeferred = true;
        lifetime.unmapWhenUnreachable(holder);
    }

    @Override
    public boolean isReleased() {
        return view == null;
    }

    /** {@return the address of the memory's byte 0} */
    long address() {
        return region.address();
    }

    /** {@return the region's release mode, for tests} */
    DeferredUnmap lifetime() {
        return lifetime;
    }

    /** {@return the region behind this memory, for tests of the kernel's view} */
    Region region() {
        return region;
    }

    private static IllegalStateException released(String operation) {
        return new IllegalStateException(operation + ": the memory was released");
    }
}
