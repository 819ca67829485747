package dev.pagealloc.internal;

import dev.pagealloc.api.ViewQuarantine;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * One allocator's shared view arenas and the quarantine of dead regions that wait for them to close
 * (the design and what a stale view does are in {@link ViewQuarantine}).
 *
 * <p>Why batches: closing an {@link Arena#ofShared()} arena is a thread handshake
 * ({@code MemorySessionImpl.close} -> {@code ScopedMemoryAccess.closeScope}, which runs a handshake
 * with every Java thread to find any that is inside an access to the closing session:
 * {@code src/hotspot/share/prims/scopedMemoryAccess.cpp} in openjdk/jdk), and it is the only way to
 * make a segment throw. Lucene's {@code RefCountedSharedArena} (apache/lucene,
 * {@code lucene/core/src/java21/org/apache/lucene/store/RefCountedSharedArena.java}) groups the files
 * of one index segment under one shared arena for the same reason. Here an arena serves at most one
 * live region at a time, so a protect or decommit that closes it never invalidates another live
 * region's views; dead regions accumulate in it while successive regions reuse it, and one close
 * retires them all.
 *
 * <p>Why on another thread: a handshake waits until every thread running Java code reaches a
 * safepoint poll, and a thread that is runnable but not on a CPU answers only once the scheduler runs
 * it, so with more busy threads than CPUs one close takes milliseconds, almost all of it waiting. A
 * batch that is due is therefore handed to the quarantine thread ({@code pagealloc-view-quarantine}),
 * which closes its arena and releases its reservations, adjacent ones in one call
 * ({@link QuarantinedReservation#releaseAll}); the deallocating thread only discards and queues. A
 * caller closes batches itself only for its own live region (protect, decommit), near the mapping
 * headroom, and when the quarantine thread has fallen {@value #BATCHES_BEFORE_CALLER_CLOSES} batches
 * behind, so that the quarantine stays bounded.
 *
 * <p>Thread-safe: the lists and counts are guarded by this object's monitor, which is never held
 * across an arena close or a release. Lock order: a region's monitor, then this one; this one never
 * calls into a live region.
 */
final class ViewArenas {
    /**
     * Runs the age checks and the closes, so that a quarantine is released after
     * {@link ViewQuarantine#age()} even when its allocator is not used again and so that no deallocating
     * thread waits for a handshake: one daemon thread for the JVM, started on first use.
     */
    private static final class Timer {
        static final ScheduledThreadPoolExecutor EXECUTOR = executor();

        private static ScheduledThreadPoolExecutor executor() {
            ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1,
                    Thread.ofPlatform().daemon().name("pagealloc-view-quarantine").factory());
            executor.setRemoveOnCancelPolicy(true);
            return executor;
        }
    }

    /** One shared arena: the views of at most one live region, and the stale views of dead ones. */
    static final class Batch {
        private final Arena arena = Arena.ofShared();
        private final List<QuarantinedReservation> dead = new ArrayList<>();
        private long deadBytes;
        private long oldestNanos;

        /** {@return the arena views are made in} */
        Arena arena() {
            return arena;
        }
    }

    /** Dead regions past which an arena is no longer taken over by a live region, in batches' worth: {@value}. */
    static final int BATCHES_PER_ARENA = 16;
    /**
     * Dead regions, or reserved bytes, over all arenas, past which every free arena is due, in batches'
     * worth ({@value}). With many live regions at once, each arena gains one dead region per generation,
     * so this bounds how many each holds when closed: the handshakes per deallocation are at least the
     * live arenas over this.
     */
    static final int BATCHES_IN_ALL = 64;
    /**
     * Dead regions, or reserved bytes, over all arenas, past which the deallocating thread closes every
     * free arena itself, in batches' worth ({@value}): the bound on the quarantine when its thread cannot
     * keep up.
     */
    static final int BATCHES_BEFORE_CALLER_CLOSES = 256;

    private final ViewQuarantine policy;
    private final StatisticsCounters statistics;
    private final long ageNanos;
    /** Dead regions waiting in all arenas: free, serving a live region, or being closed. */
    private long quarantined;
    /** Their reservations, in bytes. */
    private long quarantinedBytes;
    /** Open arenas that serve no live region, oldest first. */
    private final List<Batch> free = new ArrayList<>();
    /** Whether the quarantine thread has been asked to close due arenas and has not yet found none. */
    private boolean closerRunning;

    ViewArenas(ViewQuarantine policy, StatisticsCounters statistics) {
        this.policy = policy;
        this.statistics = statistics;
        this.ageNanos = Math.max(1, policy.age().toNanos());
    }

    /**
     * Runs {@code task} on the quarantine thread, before any close asked for later: for tests that must
     * hold that thread busy.
     *
     * @param task what to run
     */
    static void runOnQuarantineThread(Runnable task) {
        Timer.EXECUTOR.execute(task);
    }

    /** {@return whether deallocated regions wait in batches, rather than closing their arena at once} */
    boolean quarantining() {
        return !policy.isNone();
    }

    /**
     * {@return an open arena for a live region's views}: a free one that can take more dead regions, or
     * a new one. A free arena whose batch is full is taken over too until the quarantine thread has
     * taken it (while that thread wakes up or closes others), up to {@value #BATCHES_PER_ARENA} batches'
     * worth: batches grow while closes are slow, so that the handshakes per deallocation fall as each
     * one takes longer.
     */
    synchronized Batch take() {
        wakeCloserIfDue();
        for (int i = free.size() - 1; i >= 0; i--) {
            Batch batch = free.get(i);
            if (!atCap(batch)) {
                free.remove(i);
                return batch;
            }
        }
        return new Batch();
    }

    /**
     * Closes, on the calling thread, the arena of a live region that is invalidating its views
     * (protect, decommit), then releases the dead regions it held.
     *
     * @throws IllegalStateException from {@link Arena#close()}, if a JDK call holds one of its views;
     *     nothing changes then
     */
    void close(Batch batch) {
        // Not under this monitor: the handshake may take milliseconds, and the batch serves only the
        // caller's region, so no other thread reaches it.
        batch.arena.close();
        release(batch);
    }

    /**
     * Puts a deallocated region, its contents discarded, into the arena its views were made in; the
     * arena now serves no live region and is closed once the policy says so, on the quarantine thread.
     */
    void quarantine(Batch batch, QuarantinedReservation region) {
        List<Batch> toClose;
        synchronized (this) {
            if (batch.dead.isEmpty()) {
                batch.oldestNanos = System.nanoTime();
                // Checks this allocator's free arenas once this one is due; cheap when it has been closed since.
                Timer.EXECUTOR.schedule(this::wakeCloserIfDue, ageNanos, TimeUnit.NANOSECONDS);
            }
            batch.dead.add(region);
            batch.deadBytes += region.reservedBytes();
            quarantined++;
            quarantinedBytes += region.reservedBytes();
            statistics.quarantined(1, region.reservedBytes());
            free.add(batch);
            if (!beyond(BATCHES_BEFORE_CALLER_CLOSES)) {
                wakeCloserIfDue();
                return;
            }
            toClose = takeAll(); // the quarantine thread cannot keep up: bound the quarantine here
        }
        closeAll(toClose);
    }

    /**
     * Closes, on the calling thread, every free arena that holds dead regions, and releases them: when
     * the process nears its mapping limit. Arenas the quarantine thread is closing at that moment are
     * released by it.
     */
    void retireFree() {
        List<Batch> toClose;
        synchronized (this) {
            toClose = takeAll();
        }
        closeAll(toClose);
    }

    /**
     * Asks the quarantine thread to close the arenas that are due, unless it is at work already (it looks
     * again when it is done): arenas whose batch is full or whose oldest dead region has waited longer than
     * the policy's age, or every arena with dead regions once they hold {@value #BATCHES_IN_ALL} batches'
     * worth in all (regions or bytes). Called on allocate, on a view's first arena, on deallocate and by
     * the age timer.
     */
    synchronized void wakeCloserIfDue() {
        if (closerRunning || free.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        for (Batch batch : free) {
            if (isDue(batch, now)) {
                closerRunning = true;
                Timer.EXECUTOR.execute(this::closeDue);
                return;
            }
        }
    }

    private boolean isDue(Batch batch, long now) {
        return !batch.dead.isEmpty() && (isFull(batch) || now - batch.oldestNanos >= ageNanos
                || beyond(BATCHES_IN_ALL));
    }

    /** {@return whether the quarantine as a whole holds {@code batches} batches' worth of regions or bytes} */
    private boolean beyond(int batches) {
        return quarantined >= times(batches, policy.regions()) || quarantinedBytes >= times(batches, policy.bytes());
    }

    /** {@return {@code factor * value}, or {@link Long#MAX_VALUE} if that overflows ({@code value} is positive)} */
    private static long times(int factor, long value) {
        return value > Long.MAX_VALUE / factor ? Long.MAX_VALUE : factor * value;
    }

    private boolean isFull(Batch batch) {
        return batch.dead.size() >= policy.regions() || batch.deadBytes >= policy.bytes();
    }

    private boolean atCap(Batch batch) {
        return batch.dead.size() >= times(BATCHES_PER_ARENA, policy.regions()) || batch.deadBytes >= policy.bytes();
    }

    /** Under the monitor: removes and {@return every free arena that holds dead regions} */
    private List<Batch> takeAll() {
        List<Batch> taken = new ArrayList<>();
        for (Iterator<Batch> it = free.iterator(); it.hasNext(); ) {
            Batch batch = it.next();
            if (!batch.dead.isEmpty()) {
                it.remove();
                taken.add(batch);
            }
        }
        return taken;
    }

    /** On the quarantine thread: closes the due arenas, and again, until none is due. */
    private void closeDue() {
        boolean stopped = false;
        try {
            while (true) {
                List<Batch> due = new ArrayList<>();
                synchronized (this) {
                    long now = System.nanoTime();
                    for (Iterator<Batch> it = free.iterator(); it.hasNext(); ) {
                        Batch batch = it.next();
                        if (isDue(batch, now)) {
                            it.remove();
                            due.add(batch);
                        }
                    }
                    if (due.isEmpty()) {
                        closerRunning = false; // under the same lock as the check: no wake-up is lost
                        stopped = true;
                        return;
                    }
                }
                if (!closeAll(due)) {
                    return; // the next allocate, deallocate or timer looks again
                }
            }
        } finally {
            if (!stopped) { // a refused close, or an unexpected failure: let the next check start a new task
                synchronized (this) {
                    closerRunning = false;
                }
            }
        }
    }

    /**
     * Not under the monitor: closes each arena, then releases the dead regions of all that closed at
     * once, so that adjacent regions of different arenas (a burst of live regions each holds its own
     * arena, and successive bursts fill them side by side) go back in one call. {@return whether every
     * arena closed}; one a JDK call holds goes back to the free arenas, its dead regions' ranges still
     * reserved and never reused, and is tried again at the next check (not at once: the call may last).
     */
    private boolean closeAll(List<Batch> batches) {
        boolean all = true;
        List<Batch> closed = new ArrayList<>(batches.size());
        for (Batch batch : batches) {
            try {
                batch.arena.close();
            } catch (IllegalStateException heldByAJdkCall) {
                synchronized (this) {
                    free.add(batch);
                }
                all = false;
                continue;
            }
            closed.add(batch);
        }
        release(closed);
        return all;
    }

    /** Releases the dead regions of a closed arena; the arena is in no list any more. */
    private void release(Batch batch) {
        release(List.of(batch));
    }

    /** Releases the dead regions of closed arenas, which are in no list any more. */
    private void release(List<Batch> batches) {
        List<QuarantinedReservation> dead = new ArrayList<>();
        synchronized (this) {
            for (Batch batch : batches) {
                dead.addAll(batch.dead);
                batch.dead.clear();
                batch.deadBytes = 0;
            }
        }
        if (dead.isEmpty()) {
            return;
        }
        QuarantinedReservation.releaseAll(dead);
        long bytes = 0;
        for (QuarantinedReservation region : dead) {
            bytes += region.reservedBytes();
        }
        synchronized (this) {
            quarantined -= dead.size();
            quarantinedBytes -= bytes;
        }
        statistics.quarantined(-dead.size(), -bytes);
    }
}
