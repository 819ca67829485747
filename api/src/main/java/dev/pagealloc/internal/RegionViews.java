package dev.pagealloc.internal;

import dev.pagealloc.api.Units;
import dev.pagealloc.api.ViewSharing;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The arena a region's views belong to, the cached full view, and how they are invalidated: a
 * confined arena owned by one thread, or a shared one taken from the allocator's {@link ViewArenas}.
 *
 * <p>Not thread-safe: the region's monitor guards every method but {@link #cached()}, which reads a
 * volatile.
 */
final class RegionViews {
    private final ViewSharing sharing;
    private final ViewArenas shared;
    private final long base;
    /** The confined arena every current view belongs to; null when shared or none. */
    private Arena confined;
    /** The thread that made {@link #confined}; null when there is none. */
    private Thread owner;
    /** The shared arena every current view belongs to; null when confined or none. */
    private ViewArenas.Batch batch;
    private volatile MemorySegment fullView;

    RegionViews(ViewSharing sharing, ViewArenas shared, long base) {
        this.sharing = sharing;
        this.shared = shared;
        this.base = base;
    }

    /** {@return the cached view of the whole region, if this thread may use it}, else null */
    MemorySegment cached() {
        MemorySegment view = fullView;
        // A confined view is handed only to its owner; other threads take the checked path.
        return view != null && view.isAccessibleBy(Thread.currentThread()) ? view : null;
    }

    void cache(MemorySegment view) {
        fullView = view;
    }

    /** Drops the cached full view after the size or a protection changed; the views stay valid. */
    void forgetCached() {
        fullView = null;
    }

    /**
     * {@return the arena new views belong to}: with {@link ViewSharing#CONFINED}, the views belong to
     * the thread that made the first live one; another thread gets a new arena only once those
     * views are invalidated or their thread has ended.
     *
     * @throws WrongThreadException if another thread that is still alive owns the live views
     */
    Arena arena(Operation operation) {
        if (sharing == ViewSharing.SHARED) {
            if (batch == null) {
                batch = shared.take();
            }
            return batch.arena();
        }
        if (confined != null && !ownerIsGoneOrCurrent()) {
            throw confinedElsewhere(operation, "use views on that thread, wait until they are invalidated or that"
                    + " thread ends");
        }
        if (confined == null) {
            confined = Arena.ofConfined();
            owner = Thread.currentThread();
        }
        return confined;
    }

    /**
     * Invalidates every view, before any page loses access.
     *
     * @throws WrongThreadException if confined views belong to another thread that is alive; nothing changes
     * @throws IllegalStateException if a JDK call holds a shared view; nothing changes
     */
    void invalidate(Operation operation) {
        fullView = null;
        if (batch != null) {
            try {
                shared.close(batch);
            } catch (IllegalStateException e) {
                throw heldByJdkCall(operation, e);
            }
            batch = null;
            return;
        }
        if (confined == null) {
            return;
        }
        if (!ownerIsGoneOrCurrent()) {
            throw confinedElsewhere(operation, "call from that thread (the region is left as it was)");
        }
        if (confined != null) { // else abandoned: their thread has ended
            confined.close();
            confined = null;
            owner = null;
        }
    }

    /**
     * {@return whether deallocation may leave the views open in the quarantine}: they are shared,
     * some were made, and the allocator batches shared closes
     */
    boolean quarantinable() {
        return batch != null && shared.quarantining();
    }

    /** Hands the views' arena, still open, to the quarantine with the dead region's reservation. */
    void quarantine(QuarantinedReservation region) {
        fullView = null;
        shared.quarantine(batch, region);
        batch = null;
    }

    /**
     * {@return whether the views may be invalidated or replaced by this thread}: they are shared,
     * confined to this thread, or confined to a thread that has ended. In the last case the views
     * are dropped without closing their arena (closing it from here would throw
     * {@link WrongThreadException}). That is safe: a confined segment checks, before every access,
     * that the accessing thread is its owner ({@code MemorySessionImpl.checkValidStateRaw} in
     * {@code jdk.internal.foreign}, openjdk/jdk; the {@code Arena} Javadoc, "Confined arenas"), and
     * a thread that has ended ({@link Thread#isAlive()} false, for platform and virtual threads
     * alike) never runs again, so no thread can ever touch those segments.
     */
    private boolean ownerIsGoneOrCurrent() {
        Thread thread = owner;
        if (thread == null || thread == Thread.currentThread()) {
            return true;
        }
        if (thread.isAlive()) {
            return false;
        }
        confined = null;
        owner = null;
        return true;
    }

    private WrongThreadException confinedElsewhere(Operation operation, String advice) {
        Thread thread = owner;
        return new WrongThreadException(operation + ": views of the region at " + Units.hex(base)
                + " are confined to thread \"" + thread.getName() + "\" (#" + thread.threadId() + "), which made them"
                + " and is alive; " + advice + ", or build the allocator withViewSharing(ViewSharing.SHARED)");
    }

    private IllegalStateException heldByJdkCall(Operation operation, IllegalStateException e) {
        // A shared arena is kept open while a JDK call (an NIO transfer, a downcall) holds a view.
        return new IllegalStateException(operation + ": a view of the region at " + Units.hex(base)
                + " is in use by a native call (" + e.getMessage() + "); the region is left as it was, its views"
                + " valid: call again once that call has returned", e);
    }
}
