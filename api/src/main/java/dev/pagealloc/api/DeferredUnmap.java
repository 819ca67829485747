package dev.pagealloc.api;

import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
 * mapped with the protections it had. The region is deallocated ({@link Region#deallocate()}) once the holder
 * is unreachable, released or not, by a daemon thread ({@code pagealloc-deferred-unmap}) or by the next
 * {@link #allocate} through this mode, whichever comes first (each allocation first unmaps every region whose
 * holders were found unreachable, so a program that allocates faster than one thread unmaps pays for its own
 * unmaps); with several holders, once every one is. A region released
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
 *   <li>once {@value #THROTTLE_REGIONS} released regions wait, or their reservations reach
 *       {@value #THROTTLE_RESERVED_BYTES} bytes (an eighth of a 47-bit user address space), asks for a
 *       collection and waits, unmapping what it finds unreachable, until they fall below both or
 *       {@value #RETRY_MILLIS} ms have passed, then allocates;
 *   <li>answers a refusal ({@link PageAllocatorException}) while any released region waits with a collection,
 *       and retries every 10 ms for up to {@value #RETRY_MILLIS} ms while it unmaps them, as the
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
 * <p>Thread-safe: release, registration and the unmap are serialized on this object; any thread may
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
    /** Released regions still mapped at which {@link #allocate} waits for unmaps first. */
    public static final long THROTTLE_REGIONS = 4 * COLLECT_AFTER;
    /**
     * Reserved bytes of released regions still mapped at which {@link #allocate} waits for unmaps first: 16 TiB,
     * an eighth of the 128 TiB user address space of x86-64 with 4-level paging (the kernel's
     * {@code Documentation/arch/x86/x86_64/mm.rst}) and of arm64 with 48-bit addresses.
     */
    public static final long THROTTLE_RESERVED_BYTES = 1L << 44;

    /** Holders found unreachable, enqueued by the JVM's reference handler after a collection. */
    private static final ReferenceQueue<Object> UNREACHABLE = new ReferenceQueue<>();
    /** The registered holders' references, kept reachable until they are processed. */
    private static final Set<HolderReference> REGISTERED = ConcurrentHashMap.newKeySet();

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
     * @param allocator the allocator; its views must be {@link ViewSharing#SHARED}, since the unmap
     *     may run on another thread
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
                    + "): the unmap may run on any thread; use SHARED");
        }
        unmapUnreachable();
        collectIfManyAwait();
        throttleIfTooManyAwait();
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
     *     unmap may run on another thread: a {@link ViewSharing#CONFINED} owner that is alive would
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
     * zero). The unmap refers to this object, never to the holder, so this object must not refer to
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
        REGISTERED.add(new HolderReference(holder, this));
        Unmapper.start();
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
        release(true);
    }

    /**
     * Releases a region whose holder has dropped its pages itself, as {@link #release()} but without the
     * discard: for a region with decommitted pages among its committed ones, which one {@link Region#discard}
     * of them all refuses. Idempotent, and a no-op after {@link #release()}.
     *
     * @throws IllegalStateException without a holder, as {@link Region#deallocate()}
     * @throws KernelException without a holder, as {@link Region#deallocate()}
     * @throws WrongThreadException without a holder, as {@link Region#deallocate()}
     */
    public synchronized void releaseDroppedPages() {
        release(false);
    }

    private void release(boolean discard) {
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
        if (discard && awaitingCommittedBytes > 0) {
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

    /** Once per holder found unreachable: the last one deallocates the region, released or not. */
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
     * mappings first (the unmap's lag behind a collection leaves at most about twice that many waiting), and a
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
     * Unmaps, on the calling thread, every region whose last holder the JVM has found unreachable and enqueued
     * since the last drain, so that unmapping keeps pace with however many threads allocate.
     */
    private static void unmapUnreachable() {
        for (Reference<?> found = UNREACHABLE.poll(); found != null; found = UNREACHABLE.poll()) {
            ((HolderReference) found).process();
        }
    }

    private static boolean tooManyAwait() {
        return AWAITING_REGIONS.get() >= THROTTLE_REGIONS || AWAITING_RESERVED_BYTES.get() >= THROTTLE_RESERVED_BYTES;
    }

    /**
     * Past {@link #THROTTLE_REGIONS} or {@link #THROTTLE_RESERVED_BYTES}: a collection, then unmaps as the holders
     * are enqueued, for up to {@value #RETRY_MILLIS} ms. Holders that stay reachable are the caller's choice,
     * so the wait is bounded and the allocation goes ahead after it (it may then be refused, and retried).
     */
    private static void throttleIfTooManyAwait() {
        if (!tooManyAwait()) {
            return;
        }
        COLLECTIONS.increment();
        System.gc();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_MILLIS);
        while (tooManyAwait() && System.nanoTime() < deadline) {
            try {
                Reference<?> found = UNREACHABLE.remove(RETRY_PAUSE_MILLIS);
                if (found != null) {
                    ((HolderReference) found).process();
                    unmapUnreachable();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * After a refused allocation: if released regions wait for their holders, collects and retries for up to
     * {@value #RETRY_MILLIS} ms while their holders' references are enqueued and unmapped.
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
            unmapUnreachable();
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

    /**
     * A holder's phantom reference: the holder itself is never reachable from here (a phantom reference cannot
     * be read), only the region's owner, which does not refer to the holder either.
     */
    private static final class HolderReference extends PhantomReference<Object> {
        private final DeferredUnmap owner;

        HolderReference(Object holder, DeferredUnmap owner) {
            super(holder, UNREACHABLE);
            this.owner = owner;
        }

        /** Runs once per reference: whichever thread removes it from the queue owns it. */
        void process() {
            if (REGISTERED.remove(this)) {
                owner.holderUnreachable();
            }
        }
    }

    /** The daemon thread that drains the queue, started with the first holder (a JVM that never holds has none). */
    private static final class Unmapper {
        private static final Thread THREAD = Thread.ofPlatform().daemon().name("pagealloc-deferred-unmap")
                .unstarted(Unmapper::run);

        static {
            THREAD.start();
        }

        /** Touching this class starts the thread, once. */
        static void start() {
            // The static initializer did it.
        }

        private static void run() {
            while (true) {
                try {
                    ((HolderReference) UNREACHABLE.remove()).process();
                } catch (InterruptedException e) {
                    // A daemon thread with nobody to answer to: go on draining.
                } catch (RuntimeException e) {
                    // holderUnreachable counts a refused deallocation itself; nothing else may stop the drain.
                }
            }
        }
    }
}
