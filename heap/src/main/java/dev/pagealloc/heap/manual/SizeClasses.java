package dev.pagealloc.heap.manual;

/**
 * The small-block size classes: multiples of 16 bytes up to 256, then four classes per doubling up
 * to {@value #MAX_SMALL_BYTES} bytes (at most 25% internal waste). Blocks of a class sit at
 * multiples of its size from a slab's page-aligned base, so a class whose size is a multiple of an
 * alignment (up to {@link #SLAB_ALIGNMENT}) serves that alignment.
 */
final class SizeClasses {
    /** The largest small block, in bytes; larger requests get pages of their own. */
    static final int MAX_SMALL_BYTES = 8192;
    /** The alignment every class guarantees, in bytes (as glibc's {@code malloc} on 64-bit). */
    static final int MIN_ALIGNMENT = 16;
    /**
     * The alignment of a slab's base, in bytes: the smallest page a platform maps (a region starts on
     * a page: mmap(2) "addr ... page aligned"), so classes serve alignments up to it.
     */
    static final int SLAB_ALIGNMENT = 4096;

    private static final int[] BYTES;
    /** Class index by {@code (size + 15) / 16}, for sizes up to {@link #MAX_SMALL_BYTES}. */
    private static final byte[] BY_GRANULE = new byte[MAX_SMALL_BYTES / 16 + 1];

    static {
        int[] sizes = new int[64];
        int n = 0;
        for (int size = 16; size <= 256; size += 16) {
            sizes[n++] = size;
        }
        for (int base = 256; base < MAX_SMALL_BYTES; base *= 2) {
            for (int step = 1; step <= 4; step++) {
                sizes[n++] = base + step * (base / 4);
            }
        }
        BYTES = java.util.Arrays.copyOf(sizes, n);
        int cls = 0;
        for (int granule = 0; granule < BY_GRANULE.length; granule++) {
            while (BYTES[cls] < granule * 16) {
                cls++;
            }
            BY_GRANULE[granule] = (byte) cls;
        }
    }

    private SizeClasses() {
    }

    /** {@return the number of classes} */
    static int count() {
        return BYTES.length;
    }

    /** {@return the block size of class {@code cls}, in bytes} */
    static int bytes(int cls) {
        return BYTES[cls];
    }

    /**
     * {@return the class of a request the allocation fast path serves, or -1 for anything else}
     * A request it serves is {@code 0 <= byteSize < limit} (an unsigned comparison, so negative sizes
     * fail it) at an alignment that is a power of two of at most {@link #MIN_ALIGNMENT}.
     *
     * @param byteSize the requested size, unchecked
     * @param byteAlignment the requested alignment, unchecked
     * @param limit one more than the largest size served, at most {@code MAX_SMALL_BYTES + 1}; 0 serves nothing
     */
    static int ofValid(long byteSize, long byteAlignment, long limit) {
        if (Long.compareUnsigned(byteSize, limit) >= 0 || ((byteAlignment - 1) & ~(MIN_ALIGNMENT - 1L)) != 0
                || (byteAlignment & (byteAlignment - 1)) != 0) {
            return -1;
        }
        return BY_GRANULE[(int) ((byteSize + 15) >>> 4)];
    }

    /**
     * {@return the smallest class holding {@code byteSize} bytes at {@code byteAlignment}, or -1 if
     * the request is for pages of its own}
     *
     * @param byteSize the size, {@code >= 0}
     * @param byteAlignment a power of two
     */
    static int of(long byteSize, long byteAlignment) {
        if (byteSize > MAX_SMALL_BYTES || byteAlignment > SLAB_ALIGNMENT) {
            return -1;
        }
        int cls = BY_GRANULE[(int) ((byteSize + 15) >>> 4)];
        if (byteAlignment <= MIN_ALIGNMENT) {
            return cls;
        }
        for (; cls < BYTES.length; cls++) {
            if (BYTES[cls] % byteAlignment == 0) {
                return cls;
            }
        }
        return -1;
    }
}
