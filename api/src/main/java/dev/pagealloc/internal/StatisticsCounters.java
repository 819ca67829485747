package dev.pagealloc.internal;

import dev.pagealloc.api.AllocatorStatistics;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** One allocator's counters. Thread-safe; each counter is updated atomically. */
final class StatisticsCounters {
    private final AtomicLong reservedBytes = new AtomicLong();
    private final AtomicLong committedBytes = new AtomicLong();
    private final AtomicLong peakCommittedBytes = new AtomicLong();
    private final AtomicLong liveRegions = new AtomicLong();
    private final AtomicLong quarantinedRegions = new AtomicLong();
    private final AtomicLong quarantinedBytes = new AtomicLong();
    final LongAdder allocations = new LongAdder();
    final LongAdder deallocations = new LongAdder();
    final LongAdder grows = new LongAdder();
    final LongAdder protects = new LongAdder();
    final LongAdder decommits = new LongAdder();
    final LongAdder discards = new LongAdder();
    final LongAdder failures = new LongAdder();

    void reserved(long byteDelta, int regionDelta) {
        reservedBytes.addAndGet(byteDelta);
        liveRegions.addAndGet(regionDelta);
    }

    /** A deallocated region enters ({@code +1}) or leaves ({@code -1}) the quarantine. */
    void quarantined(int regionDelta, long byteDelta) {
        quarantinedRegions.addAndGet(regionDelta);
        quarantinedBytes.addAndGet(byteDelta);
    }

    void committed(long byteDelta) {
        long now = committedBytes.addAndGet(byteDelta);
        if (byteDelta > 0) {
            // A loop, not accumulateAndGet(now, Math::max): the first allocate of a JVM passes here, and a
            // first method reference spins a class.
            long peak = peakCommittedBytes.get();
            while (now > peak && !peakCommittedBytes.compareAndSet(peak, now)) {
                peak = peakCommittedBytes.get();
            }
        }
    }

    AllocatorStatistics snapshot() {
        return new AllocatorStatistics(
                reservedBytes.get(),
                committedBytes.get(),
                peakCommittedBytes.get(),
                liveRegions.get(),
                allocations.sum(),
                deallocations.sum(),
                grows.sum(),
                protects.sum(),
                decommits.sum(),
                discards.sum(),
                failures.sum(),
                quarantinedRegions.get(),
                quarantinedBytes.get());
    }
}
