package dev.pagealloc.heap.manual;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One thread's free blocks per size class, so that most allocations and frees touch no lock, and
 * its counters, written only by the owner and summed by {@link ManualHeap#statistics()}.
 *
 * <p>The owner writes its counters with plain stores, so that the JIT may keep the cache's fields in
 * registers across an allocation and a free (an opaque or volatile access is a compiler barrier);
 * {@link ManualHeap#statistics()} reads them with opaque loads. Figures are exact for every operation
 * that happens-before the call (JLS 17.4.5: the thread ended, was joined, or handed its work over
 * through a lock or a concurrent collection), as those of {@link java.util.concurrent.atomic.LongAdder#sum()}.
 *
 * <p>Flat arrays, one row of {@link #STRIDE} entries per class, so that the fast paths reach an entry
 * with one array load and one bounds check rather than a row load and two: class {@code cls}'s cached
 * blocks are at {@code cls * STRIDE} up to (not including) {@code cls * STRIDE + count(cls)}.
 */
final class ThreadCache {
    /** Entries per class in the flat arrays: the largest {@link #capacity(int)}. */
    static final int STRIDE = 64;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle COUNTS = MethodHandles.arrayElementVarHandle(int[].class);
    private static final VarHandle LIVE_BYTES;

    static {
        try {
            LIVE_BYTES = MethodHandles.lookup().findVarHandle(ThreadCache.class, "liveBytes", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * The slab of each cached block; entries at or past a class's count are stale (the fast path
     * does not null them, see {@code ManualHeap.allocate}) and never read.
     */
    final Slab[] slabs;
    /** The slot of each cached block in its slab, indexed as {@link #slabs}. */
    final int[] slots;
    /**
     * Per class, {@code 3 * cls} holds the number of cached blocks, {@code 3 * cls + 1} how many the
     * class may hold ({@link #capacity(int)}, or 1 without caching), and {@code 3 * cls + 2} the
     * count below which free's fast path may push a block (the capacity, or 0 in checked and
     * poisoning mode): one array for free's fullness test.
     */
    final int[] counts;
    /**
     * Per class, allocations at {@code cls}, and at {@code classes + cls} the blocks that entered the
     * cache other than by a free, less those that left it other than by an allocation (refills, flushes,
     * entries dropped): the class's frees are then {@code allocations + count - moved}, so that a free
     * counts itself by the cache count it changes anyway, with no counter of its own.
     */
    private final long[] counters;
    private final int classes;
    /** This thread's net change of the heap's live bytes (negative when it frees others' blocks). */
    long liveBytes;
    /** The part of {@link #liveBytes} already added to the heap's shared counter (owner only). */
    long publishedBytes;
    /**
     * {@code publishedBytes - batch + 1} for the heap's peak batch: {@link #liveBytes} is within the
     * batch of {@link #publishedBytes} while {@code liveBytes - windowBase}, unsigned, is below
     * {@code 2 * batch - 1}: one subtraction and one comparison (owner only).
     */
    long windowBase;

    /** The slab of the block this thread last allocated on the fast path (owner only). */
    Slab lastSlab = Slab.NONE;

    /** The thread this cache belongs to. */
    final Thread owner;

    ThreadCache(boolean caching, boolean fastFree, Thread owner) {
        this.owner = owner;
        classes = SizeClasses.count();
        slabs = new Slab[classes * STRIDE];
        slots = new int[classes * STRIDE];
        counts = new int[classes * 3];
        counters = new long[classes * 2];
        for (int cls = 0; cls < classes; cls++) {
            counts[3 * cls + 1] = caching ? capacity(cls) : 1;
            counts[3 * cls + 2] = fastFree ? counts[3 * cls + 1] : 0;
        }
    }

    /** {@return how many free blocks of class {@code cls} a thread keeps: about 16 KiB, 4 to {@value #STRIDE}} */
    static int capacity(int cls) {
        return Math.clamp(16 * 1024 / SizeClasses.bytes(cls), 4, STRIDE);
    }

    /** {@return the number of cached blocks of class {@code cls}} */
    int count(int cls) {
        return counts[3 * cls];
    }

    void setCount(int cls, int count) {
        counts[3 * cls] = count;
    }

    /** {@return how many blocks of class {@code cls} the cache holds at most} */
    int limit(int cls) {
        return counts[3 * cls + 1];
    }

    /** {@return the count below which free's fast path may push a block of class {@code cls}} */
    int fastLimit(int cls) {
        return counts[3 * cls + 2];
    }

    void countAllocation(int cls) {
        counters[cls]++;
    }

    /**
     * Counts blocks that entered ({@code blocks > 0}) or left ({@code blocks < 0}) the cache of class
     * {@code cls} other than by a free or an allocation.
     */
    void countMoved(int cls, int blocks) {
        counters[classes + cls] += blocks;
    }

    /** {@return the live bytes, read from another thread} */
    long liveBytes() {
        return (long) LIVE_BYTES.getOpaque(this);
    }

    long allocations(int cls) {
        return (long) LONGS.getOpaque(counters, cls);
    }

    /** {@return the frees of class {@code cls}, read from another thread: see {@link #counters}} */
    long frees(int cls) {
        long allocations = (long) LONGS.getOpaque(counters, cls);
        long moved = (long) LONGS.getOpaque(counters, classes + cls);
        return allocations + (int) COUNTS.getOpaque(counts, 3 * cls) - moved;
    }
}
