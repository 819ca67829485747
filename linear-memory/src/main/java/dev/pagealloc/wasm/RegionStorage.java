package dev.pagealloc.wasm;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import java.lang.foreign.MemorySegment;

/**
 * A memory of its own: one pagealloc {@link Region} reserving what {@link MemoryOptions} says, its committed
 * prefix the memory's bytes. Growth is {@link Region#tryGrow}, in place; the view published after it is the
 * region's {@link dev.pagealloc.api.ViewSharing#SHARED} view, so any thread may use it and any thread may
 * release the memory. Release deallocates the region; the core then discards the pages at once and retires
 * the views in a batch ({@link dev.pagealloc.api.ViewQuarantine}): until then a view taken before the release
 * reads zero, never another region's data.
 *
 * <p>Thread-safe: grow and release are serialized on this object; {@link #view()} and {@link #byteSize()}
 * read volatiles.
 */
final class RegionStorage implements MemoryStorage {
    private final Region region;
    private final long pageBytes;
    private final long limitPages;
    /** The view of {@code [0, byteSize)}; null once released. Written after the pages are committed. */
    private volatile MemorySegment view;
    private volatile long byteSize;

    private RegionStorage(Region region, long pageBytes, long limitPages) {
        this.region = region;
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
     *     (nothing stays reserved), or the image's mapping (the region is released again)
     */
    static RegionStorage create(MemoryType type, MemoryOptions options, MemoryImage image) {
        if (image != null) {
            image.requireFits(type.minimumBytes(), "create");
        }
        long reservedBytes = options.reservedBytesFor(type);
        PageAllocator allocator = Allocators.forPages(type.pageBytes(), options.guardBeforeBytes(),
                options.guardAfterBytes());
        long reservedPages = reservedBytes / type.pageBytes();
        Region region = allocator.allocate(type.minimumPages(), reservedPages);
        try {
            if (image != null) {
                image.applyTo(region.address(), region.segment(), "create");
            }
            long limitPages = Math.min(reservedPages, type.hasMaximum() ? type.maximumPages() : reservedPages);
            return new RegionStorage(region, type.pageBytes(), limitPages);
        } catch (RuntimeException | Error e) {
            region.deallocate();
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
        region.deallocate();
    }

    @Override
    public boolean isReleased() {
        return view == null;
    }

    /** {@return the region behind this memory, for tests of the kernel's view} */
    Region region() {
        return region;
    }

    private static IllegalStateException released(String operation) {
        return new IllegalStateException(operation + ": the memory was released");
    }
}
