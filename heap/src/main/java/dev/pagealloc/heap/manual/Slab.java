package dev.pagealloc.heap.manual;

import dev.pagealloc.api.Region;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One region carved into blocks of one size class. A block's state word is its whole metadata:
 * {@link #FRESH} (never used, reads zero), {@link #FREED}, {@link #RETIRED} (the slab is gone), or
 * the live block's requested size plus one. Allocation and free change it by compare-and-set, so a
 * double free, even from two threads at once, is seen by exactly one of them.
 *
 * <p>The free stack, {@link #nextFresh} and the list flags are guarded by the size class's lock.
 */
final class Slab {
    static final int FRESH = 0;
    static final int RETIRED = -1;
    static final int FREED = -2;

    private static final VarHandle STATES = MethodHandles.arrayElementVarHandle(int[].class);

    final Region region;
    final long base;
    final long byteSize;
    /** The region's shared view; blocks are slices of it, so they live as long as the region. */
    final MemorySegment view;
    final int cls;
    final int blockBytes;
    final int capacity;
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

    Slab(Region region, int cls, boolean checked) {
        this.region = region;
        this.base = region.address();
        this.byteSize = region.byteSize();
        this.view = region.segment();
        this.cls = cls;
        this.blockBytes = SizeClasses.bytes(cls);
        this.capacity = (int) (byteSize / blockBytes);
        this.states = new int[capacity];
        this.freeStack = new int[capacity];
        this.blockScopes = checked ? new Arena[capacity] : null;
    }

    boolean contains(long address) {
        return address - base >= 0 && address - base < byteSize;
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

    /** {@return whether no block is live: every slot fresh or freed} (a racy snapshot) */
    boolean looksEmpty() {
        for (int slot = 0; slot < capacity; slot++) {
            if (state(slot) > 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Marks every slot retired if none is live, so that no thread can take a block from it again.
     *
     * @return whether the slab is now retired; if a block went live meanwhile, the states are put back
     */
    boolean tryRetire() {
        int[] previous = new int[capacity];
        for (int slot = 0; slot < capacity; slot++) {
            int state = state(slot);
            if (state > 0 || !compareAndSetState(slot, state, RETIRED)) {
                for (int undo = 0; undo < slot; undo++) {
                    setState(undo, previous[undo]);
                }
                return false;
            }
            previous[slot] = state;
        }
        return true;
    }
}
