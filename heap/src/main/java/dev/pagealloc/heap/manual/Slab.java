package dev.pagealloc.heap.manual;

import dev.pagealloc.api.Region;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One region carved into blocks of one size class. A block's state word is its whole metadata:
 * {@link #FRESH} (never used, reads zero), {@link #FREED}, {@link #RETIRED} (the slab is gone), or
 * the live block's requested size plus one. A free changes it by compare-and-set, so a double free,
 * even from two threads at once, is seen by exactly one of them. A free block belongs to one place at
 * a time (a thread's cache, this slab's free stack, or the untouched range from {@link #nextFresh}),
 * so its holder makes it live with a plain store (checked mode uses compare-and-set, see
 * {@code ManualHeap.close}); the slab is released only when every touched block is back in its free
 * stack ({@code freeCount == nextFresh}), so no cache can hold one of its blocks.
 *
 * <p>The free stack, {@link #nextFresh} and the list flags are guarded by the size class's lock.
 */
final class Slab {
    static final int FRESH = 0;
    static final int RETIRED = -1;
    static final int FREED = -2;

    private static final VarHandle STATES = MethodHandles.arrayElementVarHandle(int[].class);
    /** A slab that contains no address, for hints not yet set. */
    static final Slab NONE = new Slab();

    final Region region;
    final long base;
    final long byteSize;
    /** The region's shared view; blocks are slices of it, so they live as long as the region. */
    final MemorySegment view;
    final int cls;
    final int blockBytes;
    final int capacity;
    /** {@code ceil(2^44 / blockBytes)}: {@link #slotOf} divides by multiplying. */
    private final long reciprocal;
    private final int[] states;
    /** Per block, the scope of its checked segment (checked mode only). */
    final Arena[] blockScopes;

    // Guarded by the size class's lock.
    int nextFresh;
    final int[] freeStack;
    int freeCount;
    boolean inPartialList;
    boolean retired;
    long emptySinceNanos = Long.MIN_VALUE;

    private Slab() {
        this.region = null;
        this.base = 0;
        this.byteSize = 0;
        this.view = MemorySegment.NULL;
        this.cls = 0;
        this.blockBytes = SizeClasses.bytes(0);
        this.capacity = 0;
        this.reciprocal = 0;
        this.states = new int[0];
        this.freeStack = new int[0];
        this.blockScopes = null;
    }

    Slab(Region region, int cls, boolean checked) {
        this.region = region;
        this.base = region.address();
        this.byteSize = region.byteSize();
        this.view = region.segment();
        this.cls = cls;
        this.blockBytes = SizeClasses.bytes(cls);
        this.capacity = (int) (byteSize / blockBytes);
        this.reciprocal = ((1L << 44) + blockBytes - 1) / blockBytes;
        this.states = new int[capacity];
        this.freeStack = new int[capacity];
        this.blockScopes = checked ? new Arena[capacity] : null;
    }

    /**
     * {@return {@code offset / blockBytes}} without a division (tens of cycles on the free path).
     * Exact for {@code 0 <= offset < 2^24}: the product stays under 2^64 (reciprocal <= 2^40) and its
     * error, below {@code offset / 2^44 < 2^-20}, is smaller than {@code 1 / blockBytes >= 2^-13}, so
     * it never carries into the next integer; {@link ManualHeap} keeps slabs at most 16 MiB.
     *
     * @param offset a byte offset within the slab
     */
    int slotOf(long offset) {
        return (int) ((offset * reciprocal) >>> 44);
    }

    boolean contains(long address) {
        return Long.compareUnsigned(address - base, byteSize) < 0; // one comparison: base <= address < end
    }

    int state(int slot) {
        return (int) STATES.getVolatile(states, slot);
    }

    boolean compareAndSetState(int slot, int expected, int value) {
        return STATES.compareAndSet(states, slot, expected, value);
    }

    void setState(int slot, int value) {
        STATES.setVolatile(states, slot, value);
    }

    /** Makes a block live that this thread alone holds (taken from its cache): no other writer races. */
    void setStateRelease(int slot, int value) {
        STATES.setRelease(states, slot, value);
    }

    /**
     * A plain read of a block's state, for the fast paths: no ordering, so the JIT keeps what it
     * loaded before. The free path's compare-and-set validates what it read; the allocation path
     * holds the block (a free block has one holder), so only close() can race with it, and a stale
     * read then hands out a slice of a view that close() invalidates.
     */
    int statePlain(int slot) {
        return states[slot];
    }

    /**
     * {@return as {@link #statePlain}, or {@link #RETIRED} for a slot past the last block (an address in
     * the slab's unused tail)} One unsigned comparison with the array's length, which is also the array
     * access's bounds check, so the JIT emits one.
     */
    int statePlainOrTail(int slot) {
        int[] all = states;
        return Integer.compareUnsigned(slot, all.length) < 0 ? all[slot] : RETIRED;
    }

    /**
     * Makes a block live that this thread alone holds, with a plain store (see {@link #statePlain}).
     * A free of the block in another thread is ordered after it by whatever handed that thread the
     * segment (a happens-before edge, JLS 17.4.5); a free without one is the caller's data race, and
     * the free's compare-and-set still lets only one free of a live block through.
     */
    void setStatePlain(int slot, int value) {
        states[slot] = value;
    }
}
