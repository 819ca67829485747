package dev.pagealloc.api;

import java.lang.ref.Cleaner;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A release mode of regions: <em>drop the pages on release, keep the mapping, unmap when the holder is
 * unreachable</em>. For a holder that reads its region at raw addresses (through a segment of the global scope,
 * which checks no arena, so that the JIT folds its checks away) and therefore must never see the region
 * unmapped while one of its accesses may race with the release.
 *
 * {@snippet :
 * DeferredUnmap memory = DeferredUnmap.allocate(allocator, 1, 16); // a region, as allocator.allocate(1, 16)
 * memory.unmapWhenUnreachable(holder);  // once, by the holder's constructor
 * memory.region().grow(1);              // the region is an ordinary one until released
 * memory.release();                     // pages dropped now; unmapped once holder is unreachable
 * }
 *
 * <h2>Release</h2>
 * {@link #release()} drops the contents of every committed page at once ({@link Region#discard}: the pages
 * read zero and their memory goes back to the system, in the kernel's view) but leaves the region alive and
 * mapped with the protections it had. A {@link Cleaner} deallocates the region ({@link Region#deallocate()})
 * once the holder is unreachable, released or not; with several holders, once every one is. A region released
 * before any holder was registered has no reader at raw addresses, so it is deallocated at once. A region
 * allocated elsewhere enters the mode through {@link #of(Region)} (a layer whose segments of it are bound to
 * a scope it could not close, say, holds it by that scope).
 *
 * <h2 id="cost">What stays taken until the unmap</h2>
 * Between the release and the unmap the region is, to its allocator, a live region: its reservation (guards
 * included) counts in {@link AllocatorStatistics#reservedBytes()}, its committed bytes in
 * {@link AllocatorStatistics#committedBytes()} and against its {@link MemoryPartition} (a discard drops the
 * memory, not the charge), and its memory mappings against {@code vm.max_map_count} and the allocator's
 * {@linkplain PageAllocatorBuilder#withMappingHeadroom(long) mapping headroom}. {@link #statistics()} counts
 * these regions and bytes for the JVM. So that a program that releases faster than it makes garbage does not
 * run out of mappings, address space or budget first, every {@link #allocate} through this mode
 * <ul>
 *   <li>asks for a garbage collection ({@link System#gc()}) before allocating once {@value #COLLECT_AFTER}
 *       released regions wait for their holders and as many were released since the last such collection;
 *   <li>answers a refusal ({@link PageAllocatorException}) while any released region waits with a collection,
 *       and retries every 10 ms for up to {@value #RETRY_MILLIS} ms while the cleaner unmaps them, as the
 *       JDK's direct buffers do ({@code java.nio.Bits.reserveMemory}).
 * </ul>
 *
 * <h2>Safety</h2>
 * Nothing here hands out memory: {@link #region()} is the region itself, whose views stay bounded. The holder
 * must keep itself reachable across each raw access ({@link java.lang.ref.Reference#reachabilityFence}) and
 * bound its accesses to the bytes committed before the release: after it they read zero (or what the holder
 * wrote since) and never fault. Use after release is the holder's business; the region's own methods keep
 * their errors ({@link IllegalStateException} once deallocated).
 *
 * <p>Thread-safe: release, registration and the cleaner's unmap are serialized on this object; any thread may
 * release.
 */
public final class DeferredUnmap {
    /**
     * Released regions still mapped past which {@link #allocate} asks for a collection first, once as many have
     * been released since the last such collection.
     */
    public static final long COLLECT_AFTER = 2048;
    /** How long {@link #allocate} goes on retrying a refused allocation after a collection, in milliseconds. */
    public static final long RETRY_MILLIS = 2000;
    private static final long RETRY_PAUSE_MILLIS = 10;

    private static final AtomicLong AWAITING_REGIONS = new AtomicLong();
    private static final AtomicLong AWAITING_RESERVED_BYTES = new AtomicLong();
    private static final AtomicLong AWAITING_COMMITTED_BYTES = new AtomicLong();
    /** Releases that kept their mapping, ever: the clock of {@link #NEXT_COLLECTION}. */
    private static final AtomicLong RELEASES = new AtomicLong();
    /** The count of {@link #RELEASES} before which no collection is asked for. */
    private static final AtomicLong NEXT_COLLECTION = new AtomicLong(COLLECT_AFTER);
    private static final LongAdder UNMAPPED = new LongAdder();
    private static final LongAdder FAILED_UNMAPS = new LongAdder();
    private static final LongAdder COLLECTIONS = new LongAdder();
    private static final LongAdder RETRIED = new LongAdder();

    private final Region region;
    /** Whether {@link #release()} ran (guarded by this). */
    private boolean released;
    /** Whether a holder was ever registered (guarded by this). */
    private boolean held;
    /** Registered holders not yet found unreachable (guarded by this). */
    private int reachableHolders;
    /** Whether the region was deallocated, or its deallocation refused (guarded by this). */
    private boolean unmapped;
    /** The committed bytes counted as awaiting at the release (guarded by this). */
    private long awaitingCommittedBytes;
    /** The reserved bytes counted as awaiting at the release (guarded by this). */
    private long awaitingReservedBytes;

    private DeferredUnmap(Region region) {
        this.region = region;
    }

    /**
     * Allocates a region in this mode, as {@code allocator.allocate(initialPages, maximumPages)}, with the
     * collection and the retries described <a href="#cost">above</a>.
     *
     * @param allocator the allocator; its views must be {@link ViewSharing#SHARED}, since the cleaner
     *     deallocates from its own thread
     * @param initialPages pages committed now, as {@link PageAllocator#allocate(long, long)}
     * @param maximumPages pages reserved, as {@link PageAllocator#allocate(long, long)}
     * @return the region in this mode, not yet held
     * @throws NullPointerException if {@code allocator} is null
     * @throws IllegalArgumentException if the allocator's views are not {@link ViewSharing#SHARED}, or as
     *     {@link PageAllocator#allocate(long, long)}
     * @throws PageAllocatorException as {@link PageAllocator#allocate(long, long)}: the first refusal, when no
     *     released region waited or every retry was refused too (each later refusal suppressed in it); nothing
     *     stays reserved
     */
    public static DeferredUnmap allocate(PageAllocator allocator, long initialPages, long maximumPages) {
        Objects.requireNonNull(allocator, "DeferredUnmap.allocate(allocator=null): allocator must not be null");
        ViewSharing sharing = allocator.config().viewSharing();
        if (sharing != ViewSharing.SHARED) {
            throw new IllegalArgumentException("DeferredUnmap.allocate(allocator.viewSharing=" + sharing
                    + "): the cleaner deallocates from its own thread; use SHARED");
        }
        collectIfManyAwait();
        Region region;
        try {
            region = allocator.allocate(initialPages, maximumPages);
        } catch (PageAllocatorException refused) {
            region = retryAfterCollection(allocator, initialPages, maximumPages, refused);
        }
        return new DeferredUnmap(region);
    }

    /**
     * Puts a region allocated elsewhere into this mode, as it is; nothing is allocated, so nothing is collected
     * or retried.
     *
     * @param region a live region whose views are {@link ViewSharing#SHARED} or were never handed out (the
     *     cleaner deallocates it from its own thread: a {@link ViewSharing#CONFINED} owner that is alive would
     *     make that deallocation fail, counted in {@link DeferredUnmapStatistics#failedUnmaps()})
     * @return the region in this mode, not yet held
     * @throws NullPointerException if {@code region} is null
     * @throws IllegalStateException if the region is deallocated
     */
    public static DeferredUnmap of(Region region) {
        Objects.requireNonNull(region, "DeferredUnmap.of(region=null): region must not be null");
        if (!region.isAlive()) {
            throw new IllegalStateException("DeferredUnmap.of(region=" + region + "): the region is deallocated");
        }
        return new DeferredUnmap(region);
    }

    /**
     * {@return the region} An ordinary region until {@link #release()}.
     *
     * @throws IllegalStateException if released; the message says so
     */
    public synchronized Region region() {
        if (released) {
            throw new IllegalStateException("region(): the region was released (its unmap waits for its holder)");
        }
        return region;
    }

    /**
     * Keeps the region mapped after {@link #release()} for as long as {@code holder} is reachable, and
     * deallocates it once {@code holder} is unreachable, released or not; with several holders, once every one
     * is unreachable. Call it from the holder's constructor, and register every holder before any of them may
     * become unreachable (the region is unmapped when the count of registered holders still reachable falls to
     * zero). The cleaner's action refers to this object, never to the holder, so this object must not refer to
     * the holder either (it does not).
     *
     * @param holder the object whose reachability keeps the mapping
     * @throws NullPointerException if {@code holder} is null
     * @throws IllegalStateException if the region was released, or is unmapped already; nothing changes
     */
    public synchronized void unmapWhenUnreachable(Object holder) {
        Objects.requireNonNull(holder, "unmapWhenUnreachable(holder=null): holder must not be null");
        if (released || unmapped) {
            throw new IllegalStateException("unmapWhenUnreachable(holder=" + holder.getClass().getName() + "): the "
                    + "region was " + (released ? "released" : "unmapped"));
        }
        held = true;
        reachableHolders++;
        Cleaners.CLEANER.register(holder, this::holderUnreachable);
    }

    /**
     * Releases the region: drops every committed page's contents at once ({@link Region#discard}) and keeps
     * the mapping until the holder is unreachable; without a holder, deallocates it at once. Idempotent.
     *
     * @throws KernelException if the kernel refuses to discard: the region is released all the same, and its
     *     pages keep their contents until the unmap; without a holder, as {@link Region#deallocate()} (the
     *     region is then left alive and this object unreleased, so call again)
     * @throws IllegalStateException with a holder, if the region was deallocated behind this object's back or
     *     holds decommitted pages ({@link Region#discard}); the region is released all the same; without a
     *     holder, as {@link Region#deallocate()}
     * @throws WrongThreadException without a holder, as {@link Region#deallocate()}
     */
    public synchronized void release() {
        if (released) {
            return;
        }
        if (!held) {
            region.deallocate(); // first: a refused deallocation leaves the region alive and this unreleased
            released = true;
            unmapped = true;
            return;
        }
        released = true;
        if (unmapped) {
            return;
        }
        awaitingCommittedBytes = region.committedBytes();
        awaitingReservedBytes = region.reservedBytes();
        RELEASES.incrementAndGet();
        AWAITING_REGIONS.incrementAndGet();
        AWAITING_RESERVED_BYTES.addAndGet(awaitingReservedBytes);
        AWAITING_COMMITTED_BYTES.addAndGet(awaitingCommittedBytes);
        if (awaitingCommittedBytes > 0) {
            region.discard(0, awaitingCommittedBytes);
        }
    }

    /** {@return whether {@link #release()} ran} */
    public synchronized boolean isReleased() {
        return released;
    }

    /** {@return whether the region was deallocated (released without a holder, or its holder collected)} */
    public synchronized boolean isUnmapped() {
        return unmapped;
    }

    /** {@return the JVM's counts of this mode: regions and bytes waiting for their holders, unmaps, retries} */
    public static DeferredUnmapStatistics statistics() {
        return new DeferredUnmapStatistics(AWAITING_REGIONS.get(), AWAITING_RESERVED_BYTES.get(),
                AWAITING_COMMITTED_BYTES.get(), UNMAPPED.sum(), FAILED_UNMAPS.sum(), COLLECTIONS.sum(),
                RETRIED.sum());
    }

    /** The cleaner's action, once per holder: the last one deallocates the region, released or not. */
    private synchronized void holderUnreachable() {
        if (--reachableHolders > 0 || unmapped) {
            return;
        }
        unmapped = true;
        try {
            region.deallocate();
            UNMAPPED.increment();
        } catch (RuntimeException e) {
            // No caller to tell: the region stays reserved, as a quarantined region refused its release does.
            FAILED_UNMAPS.increment();
        } finally {
            if (released) {
                AWAITING_REGIONS.decrementAndGet();
                AWAITING_RESERVED_BYTES.addAndGet(-awaitingReservedBytes);
                AWAITING_COMMITTED_BYTES.addAndGet(-awaitingCommittedBytes);
            }
        }
    }

    /**
     * Asks for a collection once {@link #COLLECT_AFTER} released regions wait and as many have been released since
     * the last one, so that a host that releases while making little garbage does not run the process out of
     * mappings first (the cleaner's lag behind a collection leaves at most about twice that many waiting), and a
     * host whose holders stay reachable is not collected on every allocation; none while fewer wait.
     */
    private static void collectIfManyAwait() {
        long releases = RELEASES.get();
        long next = NEXT_COLLECTION.get();
        if (releases >= next && AWAITING_REGIONS.get() >= COLLECT_AFTER
                && NEXT_COLLECTION.compareAndSet(next, releases + COLLECT_AFTER)) {
            COLLECTIONS.increment();
            System.gc();
        }
    }

    /**
     * After a refused allocation: if released regions wait for their holders, collects and retries for up to
     * {@value #RETRY_MILLIS} ms while the cleaner unmaps them.
     */
    private static Region retryAfterCollection(PageAllocator allocator, long initialPages, long maximumPages,
            PageAllocatorException refused) {
        if (AWAITING_REGIONS.get() == 0) {
            throw refused;
        }
        COLLECTIONS.increment();
        System.gc();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_MILLIS);
        while (true) {
            try {
                Thread.sleep(RETRY_PAUSE_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw refused;
            }
            RETRIED.increment();
            try {
                return allocator.allocate(initialPages, maximumPages);
            } catch (PageAllocatorException again) {
                if (System.nanoTime() >= deadline) {
                    refused.addSuppressed(again);
                    throw refused;
                }
            }
        }
    }

    /** The cleaner, started with the first holder, so that a JVM that never uses this mode has no extra thread. */
    private static final class Cleaners implements ThreadFactory {
        static final Cleaner CLEANER = Cleaner.create(new Cleaners());

        @Override
        public Thread newThread(Runnable runnable) {
            Thread thread = new Thread(runnable, "pagealloc-deferred-unmap");
            thread.setDaemon(true);
            return thread;
        }
    }
}
