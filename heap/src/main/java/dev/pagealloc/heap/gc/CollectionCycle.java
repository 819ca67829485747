package dev.pagealloc.heap.gc;

/**
 * A heap's collection cycle: brings every attached thread to a safepoint, ends their buffers, runs a minor
 * collection, and a major one (then a second minor one) when asked, when a promotion found no room, or when
 * the old generation's use passes the trigger. Runs under the heap's lock.
 */
final class CollectionCycle {

    private final GcHeap heap;
    private final Safepoints safepoints;
    private final Collector collector;
    /** Old-generation use past which a minor collection is followed by a major one; see {@link #majorTrigger}. */
    private long majorTriggerBytes;

    CollectionCycle(GcHeap heap, Safepoints safepoints, Collector collector) {
        this.heap = heap;
        this.safepoints = safepoints;
        this.collector = collector;
        this.majorTriggerBytes = majorTrigger(heap.oldGenerationLimitBytes, 0);
    }

    /**
     * {@return the old-generation use at which the next major collection runs, given the use {@code liveBytes}
     * a major one left and the limit {@code limitBytes}}: twice that (so the work of a major collection is paid
     * for by as many bytes promoted as it found live), at least half the limit, at most seven eighths of it (room
     * for a nursery's worth of promotions before the limit is hit)
     */
    static long majorTrigger(long limitBytes, long liveBytes) {
        return Math.min(limitBytes / 8 * 7, Math.max(limitBytes / 2, 2 * liveBytes));
    }

    /**
     * Collects once every attached thread is at a safepoint; if another thread is collecting already,
     * waits for it instead (the caller then retries what needed the room). {@link GcHeap#collectLocked}.
     */
    void collect(boolean full) {
        if (safepoints.pending()) {
            safepoints.park();
            return;
        }
        try {
            safepoints.begin(heap.stacks);
            heap.slow.collectionStarted();
            heap.epoch++;
            // Every mutator is parked: their buffers' blocks are collected now, so the buffers end here.
            for (ShadowStack stack : heap.stacks) {
                heap.slow.retireBuffer(stack);
            }
            // A stack is confined to its thread: once the thread has ended, nobody can read its roots again.
            heap.stacks.removeIf(stack -> {
                boolean ended = !stack.owner.isAlive();
                if (ended) {
                    stack.raise(ShadowStack.RELEASED);
                }
                return ended;
            });
            collector.minor();
            // The old generation is collected when asked, when a promotion found no room, or when its use
            // passes the trigger: without it, dead promoted objects would fill the generation and every later
            // minor collection would keep survivors in place (binary-trees n=18 took 45 s instead of 2).
            if (full || collector.promotionFailed || heap.old.usedBytes() > majorTriggerBytes) {
                // Asked for (by the caller, or for room: a large object, an allocation about to fail, a type
                // release), the major collection gives every empty old block back; run for the trigger or a
                // failed promotion, it keeps those the generation will fill again before the next one.
                collector.major(!full);
                majorTriggerBytes = majorTrigger(heap.oldGenerationLimitBytes, heap.old.usedBytes());
                // A second minor collection: nursery objects that the first one copied only because dead old
                // objects referred to them (through cards) die now, and objects it kept in place for want
                // of old-generation room move now that the sweep made room (else their blocks stay retained).
                collector.minor();
            }
            if (heap.verifyAfterCollection) {
                new HeapVerifier(heap).verify();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("collect: interrupted while waiting for mutators to reach a safepoint;"
                    + " nothing was collected", e);
        } finally {
            safepoints.end();
        }
    }
}
