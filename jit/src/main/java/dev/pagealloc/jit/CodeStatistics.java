package dev.pagealloc.jit;

/**
 * A snapshot of a {@link JitMemory}'s executable memory, as Aria's WildX and BCPL's
 * {@code JITMemoryManager} count it: code buffers and their bytes, over the memory's life and now.
 * Bytes of a buffer are its {@link CodeBuffer#byteSize()} (page-rounded for a standalone buffer,
 * rounded to the heap's alignment for a heap function); mapped bytes are the pages held for them.
 *
 * <p>Immutable and thread-safe. The fields are read one after another, not atomically together.
 *
 * @param allocations code buffers ever allocated, standalone and in heaps
 * @param frees code buffers ever freed
 * @param liveBuffers code buffers not freed now
 * @param peakLiveBuffers the largest {@code liveBuffers} so far
 * @param totalBytes bytes ever allocated to code buffers, in bytes
 * @param liveBytes bytes of the buffers not freed now, in bytes
 * @param peakLiveBytes the largest {@code liveBytes} so far, in bytes
 * @param executableBytes bytes of the buffers that are {@link CodeState#EXECUTABLE} now, in bytes
 * @param seals {@link CodeBuffer#seal()} calls that went through
 * @param mappedBytes pages held for code now (heap chunks and standalone buffers), in bytes; each
 *     counted once even where dual mapping maps it twice
 * @param mappedChunks runs of pages held now: one per heap chunk and per standalone buffer
 */
public record CodeStatistics(
        long allocations,
        long frees,
        long liveBuffers,
        long peakLiveBuffers,
        long totalBytes,
        long liveBytes,
        long peakLiveBytes,
        long executableBytes,
        long seals,
        long mappedBytes,
        long mappedChunks) {}
