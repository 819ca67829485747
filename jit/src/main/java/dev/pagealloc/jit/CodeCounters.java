package dev.pagealloc.jit;

/**
 * The counters behind {@link CodeStatistics}. Updates are {@code synchronized}: they happen once per
 * allocation, seal or free, beside a system call or a free-list update that costs more, and the
 * peaks need the live figure and the peak changed together.
 *
 * <p>Thread-safe.
 */
final class CodeCounters {
    private long allocations;
    private long frees;
    private long liveBuffers;
    private long peakLiveBuffers;
    private long totalBytes;
    private long liveBytes;
    private long peakLiveBytes;
    private long executableBytes;
    private long seals;
    private long mappedBytes;
    private long mappedChunks;

    synchronized void allocated(long byteSize) {
        allocations++;
        liveBuffers++;
        totalBytes += byteSize;
        liveBytes += byteSize;
        peakLiveBuffers = Math.max(peakLiveBuffers, liveBuffers);
        peakLiveBytes = Math.max(peakLiveBytes, liveBytes);
    }

    synchronized void sealed(long byteSize) {
        seals++;
        executableBytes += byteSize;
    }

    synchronized void unsealed(long byteSize) {
        executableBytes -= byteSize;
    }

    synchronized void freed(long byteSize, boolean wasExecutable) {
        frees++;
        liveBuffers--;
        liveBytes -= byteSize;
        if (wasExecutable) {
            executableBytes -= byteSize;
        }
    }

    synchronized void mapped(long byteSize) {
        mappedBytes += byteSize;
        mappedChunks++;
    }

    synchronized void unmapped(long byteSize) {
        mappedBytes -= byteSize;
        mappedChunks--;
    }

    synchronized CodeStatistics snapshot() {
        return new CodeStatistics(allocations, frees, liveBuffers, peakLiveBuffers, totalBytes, liveBytes,
                peakLiveBytes, executableBytes, seals, mappedBytes, mappedChunks);
    }
}
