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
    private static final VarHandle PUBLISHED_BYTES;
    private static final VarHandle WINDOW_BYTES;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            PUBLISHED_BYTES = lookup.findVarHandle(ThreadCache.class, "publishedBytes", long.class);
            WINDOW_BYTES = lookup.findVarHandle(ThreadCache.class, "windowBytes", long.class);
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
    /** The number of size classes. */
    static final int CLASSES = SizeClasses.count();
    /**
     * Per class {@code cls}, a count word: the number of cached blocks in the low 32 bits and, in the
     * high 32 bits, the count below which free's fast path may push a block (the class's {@link #limit(int)},
     * or 0 in checked and poisoning mode): one load and one bounds check give free both, and adding or
     * subtracting one changes the count. At {@code CLASSES + cls}, the class's allocations: in the array the
     * allocation fast path holds already, so that counting one loads no other array.
     */
    final long[] counts;
    /** Per class, how many blocks the cache may hold ({@link #capacity(int)}, or 1 without caching). */
    private final int[] limits;
    /**
     * Per class, the blocks that entered the cache other than by a free, less those that left it other
     * than by an allocation (refills, flushes, entries dropped): the class's frees are then
     * {@code allocations + count - moved}, so that a free counts itself by the cache count it changes
     * anyway, with no counter of its own.
     */
    private final long[] moved;
    /** The part of this thread's net change of the heap's live bytes already added to the heap's shared counter. */
    long publishedBytes;
    /**
     * This thread's net change of the heap's live bytes (negative when it frees others' blocks) less
     * {@link #publishedBytes}, plus {@link #windowCentre}: within the heap's peak batch of the published part
     * while it lies, unsigned, below {@code 2 * batch - 1}, so that a change costs one load, one add, one
     * store and one comparison (owner only).
     */
    long windowBytes;
    /** The peak batch less one, in bytes: {@link #windowBytes} when nothing is unpublished. */
    long windowCentre;

    /** The slab of the block this thread last allocated on the fast path (owner only). */
    Slab lastSlab = Slab.NONE;

    /** The thread this cache belongs to. */
    final Thread owner;

    ThreadCache(boolean caching, boolean fastFree, Thread owner) {
        this.owner = owner;
        slabs = new Slab[CLASSES * STRIDE];
        slots = new int[CLASSES * STRIDE];
        counts = new long[CLASSES * 2];
        limits = new int[CLASSES];
        moved = new long[CLASSES];
        for (int cls = 0; cls < CLASSES; cls++) {
            limits[cls] = caching ? capacity(cls) : 1;
            counts[cls] = fastFree ? (long) limits[cls] << 32 : 0;
        }
    }

    /** {@return how many free blocks of class {@code cls} a thread keeps: about 16 KiB, 4 to {@value #STRIDE}} */
    static int capacity(int cls) {
        return Math.clamp(16 * 1024 / SizeClasses.bytes(cls), 4, STRIDE);
    }

    /** {@return the number of cached blocks of class {@code cls}} */
    int count(int cls) {
        return (int) counts[cls];
    }

    void setCount(int cls, int count) {
        counts[cls] = counts[cls] & ~0xFFFF_FFFFL | count;
    }

    /** {@return how many blocks of class {@code cls} the cache holds at most} */
    int limit(int cls) {
        return limits[cls];
    }

    void countAllocation(int cls) {
        counts[CLASSES + cls]++;
    }

    /**
     * Counts blocks that entered ({@code blocks > 0}) or left ({@code blocks < 0}) the cache of class
     * {@code cls} other than by a free or an allocation.
     */
    void countMoved(int cls, int blocks) {
        moved[cls] += blocks;
    }

    /**
     * {@return this thread's net change of the live bytes, read from another thread} Exact for changes
     * that happen-before the call; a read racing with the owner's publication of a batch may see it in both
     * fields or in neither, so be off by that batch, as racing operations may be partly counted.
     */
    long liveBytes() {
        return (long) PUBLISHED_BYTES.getOpaque(this) + (long) WINDOW_BYTES.getOpaque(this) - windowCentre;
    }

    long allocations(int cls) {
        return (long) LONGS.getOpaque(counts, CLASSES + cls);
    }

    /** {@return the frees of class {@code cls}, read from another thread: see {@link #moved}} */
    long frees(int cls) {
        long allocations = (long) LONGS.getOpaque(counts, CLASSES + cls);
        long blocksMoved = (long) LONGS.getOpaque(moved, cls);
        return allocations + (int) (long) LONGS.getOpaque(counts, cls) - blocksMoved;
    }
}
