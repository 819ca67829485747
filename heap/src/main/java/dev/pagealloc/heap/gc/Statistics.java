package dev.pagealloc.heap.gc;

import java.util.Arrays;

/** The heap's running counters; guarded by the heap's lock. */
final class Statistics {

    static final long[] BOUNDS_MICROS = {50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 100_000};

    long allocatedBytes;
    /** Bytes of the objects in the nursery: allocated since the last minor collection, or survivors of it. */
    long nurseryObjectBytes;
    long reclaimedBytes;
    /** Bytes the old generation's compaction moved (headers and payloads). */
    long compactedBytes;
    long minorCollections;
    long majorCollections;
    final long[] pauseCounts = new long[BOUNDS_MICROS.length + 1];
    long pauseTotalNanos;
    long pauseMaxNanos;

    void pause(long nanos) {
        int bucket = 0;
        while (bucket < BOUNDS_MICROS.length && nanos >= BOUNDS_MICROS[bucket] * 1000) {
            bucket++;
        }
        pauseCounts[bucket]++;
        pauseTotalNanos += nanos;
        pauseMaxNanos = Math.max(pauseMaxNanos, nanos);
    }

    GcStatistics snapshot(GcHeap heap) {
        return new GcStatistics(heap.nursery.blocks * heap.nursery.blockBytes, heap.nursery.usedBytes(),
                heap.old.committedBytes() + heap.large.committedBytes(),
                heap.old.usedBytes() + heap.large.committedBytes(), heap.large.count(),
                allocatedBytes + heap.slow.unretiredBufferBytes(),
                reclaimedBytes, minorCollections, majorCollections, heap.roots.pinned.size(),
                new GcStatistics.PauseHistogram(Arrays.stream(BOUNDS_MICROS).boxed().toList(),
                        Arrays.stream(pauseCounts).boxed().toList(), pauseTotalNanos, pauseMaxNanos));
    }
}
