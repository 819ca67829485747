package dev.pagealloc.heap.manual;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One thread's free blocks per size class, so that most allocations and frees touch no lock, and
 * its counters, written only by the owner and summed by {@link ManualHeap#statistics()}.
 */
final class ThreadCache {
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    final Slab[][] slabs;
    final int[][] slots;
    final int[] counts;
    private final long[] allocations;
    private final long[] frees;

    ThreadCache(boolean caching) {
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

    long allocations(int cls) {
        return (long) LONGS.getOpaque(allocations, cls);
    }

    long frees(int cls) {
        return (long) LONGS.getOpaque(frees, cls);
    }
}
