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
 * <p>Thread-safe: every method holds this object's monitor. Lock order: a region's monitor, then this
 * one; this one never calls into a live region.
 */
final class ViewArenas {
    /**
     * A deallocated region's reservation, contents discarded, waiting for its views to die. It holds
     * no reference to the region or its allocator, so an allocator nobody uses any more can be
     * collected while its quarantine waits for the timer.
     */
    interface Quarantined {
        /** {@return the reservation, guards included, in bytes} */
        long reservedBytes();

        /** Releases the reservation; called once, after the arena of its views is closed. */
        void releaseQuarantined();
    }

    /**
     * Runs the age checks, so that a quarantine is released after {@link ViewQuarantine#age()} even
     * when its allocator is not used again: one daemon thread for the JVM, started on first use.
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
        private final List<Quarantined> dead = new ArrayList<>();
        private long deadBytes;
        private long oldestNanos;

        /** {@return the arena views are made in} */
        Arena arena() {
            return arena;
        }
    }

    /** Dead regions, over all arenas, past which every free arena is closed: {@value} batches' worth. */
    static final int BATCHES_IN_ALL = 16;

    private final ViewQuarantine policy;
    private final StatisticsCounters statistics;
    private final long ageNanos;
    /** Dead regions waiting in all arenas, free or serving a live region. */
    private long quarantined;
    /** Open arenas that serve no live region, oldest first. */
    private final List<Batch> free = new ArrayList<>();

    ViewArenas(ViewQuarantine policy, StatisticsCounters statistics) {
        this.policy = policy;
        this.statistics = statistics;
        this.ageNanos = Math.max(1, policy.age().toNanos());
    }

    /** {@return whether deallocated regions wait in batches, rather than closing their arena at once} */
    boolean quarantining() {
        return !policy.isNone();
    }

    /** {@return an open arena for a live region's views}: a free one that can take more dead regions, or a new one */
    synchronized Batch take() {
        retireExpired();
        for (int i = free.size() - 1; i >= 0; i--) {
            Batch batch = free.get(i);
            if (!isFull(batch)) {
                free.remove(i);
                return batch;
            }
        }
        return new Batch();
    }

    /**
     * Closes the arena of a live region that is invalidating its views (protect, decommit), then
     * releases the dead regions it held.
     *
     * @throws IllegalStateException from {@link Arena#close()}, if a JDK call holds one of its views;
     *     nothing changes then
     */
    synchronized void close(Batch batch) {
        batch.arena.close();
        releaseDead(batch);
    }

    /**
     * Puts a deallocated region, its contents discarded, into the arena its views were made in; the
     * arena now serves no live region and is closed once the policy says so.
     */
    synchronized void quarantine(Batch batch, Quarantined region) {
        if (batch.dead.isEmpty()) {
            batch.oldestNanos = System.nanoTime();
            // Checks this allocator's free arenas once this one is due; cheap when it has been closed since.
            Timer.EXECUTOR.schedule(this::retireExpired, ageNanos, TimeUnit.NANOSECONDS);
        }
        batch.dead.add(region);
        batch.deadBytes += region.reservedBytes();
        quarantined++;
        statistics.quarantined(1, region.reservedBytes());
        free.add(batch);
        if (quarantined >= BATCHES_IN_ALL * policy.regions()) {
            retireFree(); // many live regions at once each fill an arena slowly: bound the total, and the mappings
        } else {
            retireExpired();
        }
    }

    /**
     * Closes every free arena that holds dead regions and releases them: when the quarantine as a
     * whole grew too large, or when the process nears its mapping limit.
     */
    synchronized void retireFree() {
        free.removeIf(batch -> !batch.dead.isEmpty() && tryClose(batch));
    }

    /**
     * Closes every free arena whose batch is full or whose oldest dead region has waited longer than the
     * policy's age, and releases their dead regions. An arena a JDK call still holds stays for the next check.
     */
    synchronized void retireExpired() {
        if (free.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        for (Iterator<Batch> it = free.iterator(); it.hasNext(); ) {
            Batch batch = it.next();
            if (!batch.dead.isEmpty() && (isFull(batch) || now - batch.oldestNanos >= ageNanos) && tryClose(batch)) {
                it.remove();
            }
        }
    }

    private boolean isFull(Batch batch) {
        return batch.dead.size() >= policy.regions() || batch.deadBytes >= policy.bytes();
    }

    private boolean tryClose(Batch batch) {
        try {
            batch.arena.close();
        } catch (IllegalStateException heldByAJdkCall) {
            return false; // the dead regions' ranges stay reserved, never reused; tried again at the next check
        }
        releaseDead(batch);
        return true;
    }

    private void releaseDead(Batch batch) {
        for (Quarantined region : batch.dead) {
            quarantined--;
            statistics.quarantined(-1, -region.reservedBytes());
            region.releaseQuarantined();
        }
        batch.dead.clear();
        batch.deadBytes = 0;
    }
}
