package dev.pagealloc.heap.gc;

import java.util.List;

/**
 * A snapshot of a heap's sizes and counters (the seed's {@code GCStats}, plus pause times).
 *
 * @param nurseryBytes the nursery's capacity, in bytes
 * @param nurseryUsedBytes nursery blocks in use (buffers handed out, survivors, blocks kept for pinned
 *     objects), in bytes
 * @param oldGenerationBytes committed old-generation blocks plus large objects, in bytes
 * @param oldGenerationUsedBytes live-or-unswept old-generation cells plus large objects, in bytes
 * @param largeObjects the number of large objects
 * @param allocatedBytes bytes allocated since the heap was built (headers included)
 * @param reclaimedBytes bytes reclaimed by collections since the heap was built
 * @param minorCollections minor collections run
 * @param majorCollections major collections run
 * @param pinnedObjects objects pinned now
 * @param pauses pause times of all collections
 */
public record GcStatistics(long nurseryBytes, long nurseryUsedBytes, long oldGenerationBytes,
        long oldGenerationUsedBytes, long largeObjects, long allocatedBytes, long reclaimedBytes,
        long minorCollections, long majorCollections, long pinnedObjects, PauseHistogram pauses) {

    /**
     * A histogram of pause times.
     *
     * @param upperBoundsMicros the buckets' upper bounds, in microseconds, ascending; the last bucket
     *     ({@code counts.size() == upperBoundsMicros.size() + 1}) counts longer pauses
     * @param counts pauses per bucket
     * @param totalNanos all pauses together, in nanoseconds
     * @param maxNanos the longest pause, in nanoseconds
     */
    public record PauseHistogram(List<Long> upperBoundsMicros, List<Long> counts, long totalNanos,
            long maxNanos) {

        /** Copies the lists. */
        public PauseHistogram {
            upperBoundsMicros = List.copyOf(upperBoundsMicros);
            counts = List.copyOf(counts);
        }
    }

    @Override
    public String toString() {
        StringBuilder pauseText = new StringBuilder();
        for (int i = 0; i < pauses.counts().size(); i++) {
            if (pauses.counts().get(i) == 0) {
                continue;
            }
            pauseText.append(i < pauses.upperBoundsMicros().size() ? "<" + pauses.upperBoundsMicros().get(i) + "us"
                    : ">=" + pauses.upperBoundsMicros().getLast() + "us").append(':')
                    .append(pauses.counts().get(i)).append(' ');
        }
        return "nurseryBytes=" + nurseryBytes + " nurseryUsedBytes=" + nurseryUsedBytes
                + "\noldGenerationBytes=" + oldGenerationBytes + " oldGenerationUsedBytes=" + oldGenerationUsedBytes
                + " largeObjects=" + largeObjects
                + "\nallocatedBytes=" + allocatedBytes + " reclaimedBytes=" + reclaimedBytes
                + "\nminorCollections=" + minorCollections + " majorCollections=" + majorCollections
                + " pinnedObjects=" + pinnedObjects
                + "\npauseTotalMicros=" + pauses.totalNanos() / 1000 + " pauseMaxMicros=" + pauses.maxNanos() / 1000
                + " pauses " + pauseText.toString().trim();
    }
}
