package dev.pagealloc.heap.manual;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One thread's free blocks per size class, so that most allocations and frees touch no lock, and
 * its counters, written only by the owner and summed by {@link ManualHeap#statistics()}.
 */
final class ThreadCache {
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle LIVE_BYTES;

    static {
        try {
            LIVE_BYTES = MethodHandles.lookup().findVarHandle(ThreadCache.class, "liveBytes", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Per class, the slab of each cached block; entries at or past {@link #counts} are stale (the
     * fast path does not null them, see {@code ManualHeap.allocate}) and never read.
     */
    final Slab[][] slabs;
    final int[][] slots;
    final int[] counts;
    private final long[] allocations;
    private final long[] frees;
    /** This thread's net change of the heap's live bytes (negative when it frees others' blocks). */
    @SuppressWarnings("unused") // through LIVE_BYTES
    private long liveBytes;
    /** The part of {@link #liveBytes} not yet added to the heap's shared counter (owner only). */
    long unpublishedBytes;

    /** The thread this cache belongs to. */
    final Thread owner;

    ThreadCache(boolean caching, Thread owner) {
        this.owner = owner;
        int classes = SizeClasses.count();
        slabs = new Slab[classes][];
        slots = new int[classes][];
        counts = new int[classes];
        allocations = new long[classes];
        frees = new long[classes];
        for (int cls = 0; cls < classes; cls++) {
            int capacity = caching ? capacity(cls) : 1;
            slabs[cls] = new Slab[capacity];
            slots[cls] = new int[capacity];
        }
    }

    /** {@return how many free blocks of class {@code cls} a thread keeps: about 16 KiB, 4 to 64} */
    static int capacity(int cls) {
        return Math.clamp(16 * 1024 / SizeClasses.bytes(cls), 4, 64);
    }

    void countAllocation(int cls) {
        LONGS.setOpaque(allocations, cls, allocations[cls] + 1);
    }

    void countFree(int cls) {
        LONGS.setOpaque(frees, cls, frees[cls] + 1);
    }

    void addLiveBytes(long delta) {
        LIVE_BYTES.setOpaque(this, (long) LIVE_BYTES.getOpaque(this) + delta);
    }

    long liveBytes() {
        return (long) LIVE_BYTES.getOpaque(this);
    }

    long allocations(int cls) {
        return (long) LONGS.getOpaque(allocations, cls);
    }

    long frees(int cls) {
        return (long) LONGS.getOpaque(frees, cls);
    }
}
