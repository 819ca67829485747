package dev.pagealloc.heap.gc;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The young generation: one region cut into blocks. Mutators bump-allocate in blocks handed out as
 * thread-local buffers; a minor collection copies survivors into other free blocks (the survivor
 * space is whatever blocks are free, with a reserve eden may not take), so eden and survivors are the
 * same kind of block. A block that still holds an object kept in place (pinned, or with no room to
 * copy it) is retained; every other block that was in use becomes free.
 *
 * <p>An object-start bitmap (one bit per 8 bytes) says which addresses are objects, for
 * {@link GcHeap#isHeapPointer(long)} and for checking references stored into the heap.
 * Not thread-safe: the heap's lock guards it.
 */
final class Nursery {

    static final int FREE = 0;
    static final int IN_USE = 1;
    static final int TO_SPACE = 2;

    final Region region;
    final MemorySegment memory;
    final long base;
    final long end;
    /** The nursery's size, in bytes. */
    final long bytes;
    final long blockBytes;
    final int blocks;
    private final int blockShift;
    private final int survivorReserveBlocks;
    private final int[] state;
    /** The object-start bitmap: bit {@code (address - base) >>> 3}; the allocation fast path sets bits here too. */
    final long[] starts;
    private int freeBlocks;
    private int nextFree;

    // The survivor bump buffer of the collection in progress.
    private long copyCursor;
    private long copyLimit;

    Nursery(PageAllocator allocator, long nurseryBytes, long blockBytes, int survivorReserveBlocks) {
        this.blockBytes = blockBytes;
        this.blocks = (int) (nurseryBytes / blockBytes);
        if (Long.bitCount(blockBytes) != 1) {
            throw new IllegalArgumentException("blockBytes=" + blockBytes + " must be a power of two");
        }
        this.blockShift = Long.numberOfTrailingZeros(blockBytes);
        this.survivorReserveBlocks = survivorReserveBlocks;
        long pages = Math.ceilDiv(nurseryBytes, allocator.pageBytes());
        this.region = allocator.allocate(pages, pages);
        this.memory = region.segment(0, nurseryBytes);
        this.base = region.address();
        this.end = base + nurseryBytes;
        this.bytes = nurseryBytes;
        this.state = new int[blocks];
        this.starts = new long[(int) Math.ceilDiv(nurseryBytes / 8, 64)];
        this.freeBlocks = blocks;
    }

    boolean contains(long address) {
        return address >= base && address < end;
    }

    boolean isObjectStart(long address) {
        long bit = startBit(base, address);
        return bit >>> 6 < starts.length && isStartBitSet(starts, bit);
    }

    /**
     * {@return the index of {@code address}'s bit in the start bitmap of a nursery at {@code base}, or a number of
     * at least 2^60 when {@code address} is below {@code base} or not 8-aligned}: the offset rotated right by 3
     * moves a misaligned offset's low bits, and a negative offset's sign, to the top. So one unsigned compare,
     * {@code bit >>> 6 < starts.length}, tests the alignment and both ends of the bitmap, which covers the nursery
     * and at most the rest of the nursery's last page (a bitmap word covers 512 bytes, which divide a page): bits
     * past the nursery's end are never set. The bit of offset 0 is never set either, an object starting past its
     * header, so the caller needs no test of that.
     */
    static long startBit(long base, long address) {
        return Long.rotateRight(address - base, 3);
    }

    /** {@return whether bit {@code bit} of {@code starts} is set}, for a {@link #startBit} below its bit count */
    static boolean isStartBitSet(long[] starts, long bit) {
        return (starts[(int) (bit >>> 6)] & 1L << bit) != 0;
    }

    void markStart(long address) {
        markStart(starts, address - base);
    }

    /**
     * Sets the start bit of the object {@code offset} bytes past the nursery's base in {@code starts}: word
     * {@code offset >>> 9}, bit {@code (offset >>> 3) & 63} (a long shift takes its count mod 64, JLS 15.19), so
     * the fast path that holds the array and the base needs no load of its own.
     */
    static void markStart(long[] starts, long offset) {
        starts[(int) (offset >>> 9)] |= 1L << (offset >>> 3);
    }

    private void clearStarts(int block) {
        long firstBit = block * blockBytes >>> 3;
        long bits = blockBytes >>> 3;
        // blockBytes is a multiple of 512, so a block covers whole words of the bitmap.
        java.util.Arrays.fill(starts, (int) (firstBit >>> 6), (int) ((firstBit + bits) >>> 6), 0L);
    }

    /**
     * {@return a block's base address for a mutator buffer, or -1 if eden may take no more}; its bytes are as the
     * last collection left them (the allocations zero their payloads)
     */
    long takeEdenBlock() {
        if (freeBlocks <= survivorReserveBlocks) {
            return -1;
        }
        return take(IN_USE);
    }

    private long take(int newState) {
        if (freeBlocks == 0) {
            return -1;
        }
        for (int n = 0; n < blocks; n++) {
            int i = (nextFree + n) % blocks;
            if (state[i] == FREE) {
                state[i] = newState;
                freeBlocks--;
                nextFree = (i + 1) % blocks;
                // Not zero-filled: each allocation zeroes its own payload (GcHeap.zero), a survivor block is
                // written by the copies alone, and the start bitmap, not the bytes, says where objects are.
                return base + i * blockBytes;
            }
        }
        throw new AssertionError("free block count " + freeBlocks + " but no free block");
    }

    int freeBlocks() {
        return freeBlocks;
    }

    long usedBytes() {
        return (long) (blocks - freeBlocks) * blockBytes;
    }

    /** Starts a minor collection: no survivor buffer yet. */
    void beginCollection() {
        copyCursor = 0;
        copyLimit = 0;
    }

    /** {@return the address of {@code objectBytes} in the survivor space, or -1 if no block is free} */
    long allocateSurvivor(long objectBytes) {
        if (copyCursor + objectBytes > copyLimit) {
            long block = take(TO_SPACE);
            if (block < 0) {
                return -1;
            }
            copyCursor = block;
            copyLimit = block + blockBytes;
        }
        long address = copyCursor;
        copyCursor += objectBytes;
        return address;
    }

    /** {@link #isFromSpace(long)} for an offset from {@link #base} known to be inside. */
    boolean isFromSpaceAt(long offset) {
        return state[(int) (offset >>> blockShift)] == IN_USE;
    }

    boolean isFromSpace(long address) {
        return contains(address) && state[(int) ((address - base) / blockBytes)] == IN_USE;
    }

    /**
     * Ends a minor collection: blocks in use that hold no kept object become free (their start bits
     * cleared), blocks that hold one keep only the kept objects' start bits, survivor blocks become
     * blocks in use.
     *
     * @param kept payload addresses of objects kept in place, {@code count} of them
     */
    void endCollection(long[] kept, int count) {
        boolean[] retained = new boolean[blocks];
        for (int k = 0; k < count; k++) {
            retained[(int) ((kept[k] - base) / blockBytes)] = true;
        }
        for (int i = 0; i < blocks; i++) {
            if (state[i] == IN_USE) {
                clearStarts(i);
                if (!retained[i]) {
                    state[i] = FREE;
                    freeBlocks++;
                }
            } else if (state[i] == TO_SPACE) {
                state[i] = IN_USE;
            }
        }
        for (int k = 0; k < count; k++) {
            markStart(kept[k]);
        }
    }

    /** Calls {@code action} with the payload address of every object that starts in a from-space block. */
    void forEachFromSpaceObject(java.util.function.LongConsumer action) {
        for (int i = 0; i < blocks; i++) {
            if (state[i] != IN_USE) {
                continue;
            }
            int firstWord = (int) (i * blockBytes >>> 9);
            int words = (int) (blockBytes >>> 9);
            for (int w = firstWord; w < firstWord + words; w++) {
                for (long bits = starts[w]; bits != 0; bits &= bits - 1) {
                    action.accept(base + (((long) w << 6) + Long.numberOfTrailingZeros(bits) << 3));
                }
            }
        }
    }

    long getLong(long address) {
        return memory.get(ValueLayout.JAVA_LONG, address - base);
    }

    void setLong(long address, long value) {
        memory.set(ValueLayout.JAVA_LONG, address - base, value);
    }
}
