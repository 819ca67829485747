package dev.pagealloc.wasm;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PageAllocatorException;
import dev.pagealloc.api.Region;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A memory of its own: one pagealloc {@link Region} reserving what {@link MemoryOptions} says, its committed
 * prefix the memory's bytes. Growth is {@link Region#tryGrow}, in place; the view published after it is the
 * region's {@link dev.pagealloc.api.ViewSharing#SHARED} view, so any thread may use it and any thread may
 * release the memory. Release deallocates the region; the core then discards the pages at once and retires
 * the views in a batch ({@link dev.pagealloc.api.ViewQuarantine}): until then a view taken before the release
 * reads zero, never another region's data.
 *
 * <p>A storage whose holder reads the region directly ({@link #unmapWhenUnreachable}, the
 * {@link LinearMemory}'s fast path, which checks no arena) changes the release: {@link #release()} drops the
 * pages at once ({@link Region#discard}: they read zero and their memory goes back to the system) but keeps
 * the reservation mapped, and the holder's {@link Cleaner} deallocates the region once the holder is
 * unreachable, so that an access racing with the release never touches an unmapped page. Until then the
 * reservation's address space, its mappings and its budget charge stay taken; {@link #create} asks for a
 * garbage collection when {@link #COLLECT_AFTER} of them wait, and answers a refusal while any wait with a
 * collection and retries, as the JDK's direct buffers do ({@code java.nio.Bits.reserveMemory}).
 *
 * <p>Thread-safe: grow and release are serialized on this object; {@link #view()} and {@link #byteSize()}
 * read volatiles.
 */
final class RegionStorage implements MemoryStorage {
    private static final Cleaner CLEANER = Cleaner.create();
    /** Released storages whose reservation waits for its holder to become unreachable. */
    private static final AtomicLong AWAITING_UNMAP = new AtomicLong();
    /** How long {@link #create} goes on retrying a refused reservation after a collection, at most. */
    private static final long RECLAIM_WAIT_MILLIS = 2000;
    /**
     * Released reservations still mapped past which {@link #create} asks for a collection first (each holds
     * a few of {@code vm.max_map_count}'s mappings and its address space), at most once per that many more.
     */
    static final long COLLECT_AFTER = 2048;
    private static final AtomicLong NEXT_COLLECTION = new AtomicLong(COLLECT_AFTER);

    private final Region region;
    private final long pageBytes;
    private final long limitPages;
    /** The view of {@code [0, byteSize)}; null once released. Written after the pages are committed. */
    private volatile MemorySegment view;
    private volatile long byteSize;
    /** Whether a holder reads the region directly: release then keeps the mapping (guarded by this). */
    private boolean unmapDeferred;
    /** Whether the region is deallocated (guarded by this). */
    private boolean unmapped;

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
        collectIfManyAwaitUnmap();
        Region region;
        try {
            region = allocator.allocate(type.minimumPages(), reservedPages);
        } catch (PageAllocatorException e) {
            region = retryAfterCollection(allocator, type.minimumPages(), reservedPages, e);
        }
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
        if (!unmapDeferred) {
            region.deallocate();
            unmapped = true;
            return;
        }
        AWAITING_UNMAP.incrementAndGet();
        try {
            region.discard(0, region.committedBytes()); // byteSize rounded up to the granule (1-byte pages)
        } catch (RuntimeException e) {
            // The kernel kept the pages: they hold the old bytes until the cleaner unmaps them. Nothing else
            // depends on the discard, and a release has no caller that could do better with the error.
        }
    }

    /**
     * Keeps the region mapped after {@link #release()} for as long as {@code holder} is reachable, and
     * deallocates it once {@code holder} is unreachable (released or not). Called once, by the holder's
     * constructor.
     *
     * @param holder the object whose reachability keeps the mapping; the cleaner's action does not refer to it
     */
    synchronized void unmapWhenUnreachable(Object holder) {
        unmapDeferred = true;
        CLEANER.register(holder, this::unmap);
    }

    /** The cleaner's action: deallocates the region, released or not. */
    private synchronized void unmap() {
        if (unmapped) {
            return;
        }
        boolean wasReleased = view == null;
        view = null;
        unmapped = true;
        try {
            region.deallocate();
        } finally {
            if (wasReleased) {
                AWAITING_UNMAP.decrementAndGet();
            }
        }
    }

    /**
     * Asks for a collection once {@link #COLLECT_AFTER} released reservations wait for their holders to be
     * collected, so that a host that creates and closes memories while making little garbage does not run the
     * process out of mappings first. Runs no collection while fewer wait.
     */
    private static void collectIfManyAwaitUnmap() {
        long waiting = AWAITING_UNMAP.get();
        long next = NEXT_COLLECTION.get();
        if (waiting >= next && NEXT_COLLECTION.compareAndSet(next, waiting + COLLECT_AFTER)) {
            System.gc();
        }
    }

    /**
     * After a refused reservation: if released reservations still wait for their holders to be collected,
     * runs a collection and retries for up to {@value #RECLAIM_WAIT_MILLIS} ms while the cleaner and the core's
     * view quarantine unmap them.
     *
     * @throws PageAllocatorException {@code refused}, when nothing waits or the retries are refused too (each
     *     later refusal suppressed in it)
     */
    private static Region retryAfterCollection(PageAllocator allocator, long minimumPages, long reservedPages,
            PageAllocatorException refused) {
        if (AWAITING_UNMAP.get() == 0) {
            throw refused;
        }
        System.gc();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RECLAIM_WAIT_MILLIS);
        while (true) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw refused;
            }
            try {
                return allocator.allocate(minimumPages, reservedPages);
            } catch (PageAllocatorException again) {
                if (System.nanoTime() >= deadline) {
                    refused.addSuppressed(again);
                    throw refused;
                }
            }
        }
    }

    /** {@return released storages whose reservation is still mapped}, for tests */
    static long awaitingUnmap() {
        return AWAITING_UNMAP.get();
    }

    @Override
    public boolean isReleased() {
        return view == null;
    }

    /** {@return the address of the memory's byte 0} */
    long address() {
        return region.address();
    }

    /** {@return the region behind this memory, for tests of the kernel's view} */
    Region region() {
        return region;
    }

    private static IllegalStateException released(String operation) {
        return new IllegalStateException(operation + ": the memory was released");
    }
}
