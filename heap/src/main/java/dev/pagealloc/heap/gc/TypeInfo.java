package dev.pagealloc.heap.gc;

/**
 * A registered type as the collector uses it: its layout and, for fixed objects, which 8-byte words
 * of the payload are references. Immutable.
 */
final class TypeInfo {

    static final int FIXED = 0;
    static final int REFERENCE_ARRAY = 1;
    static final int PRIMITIVE_ARRAY = 2;

    final int id;
    final TypeLayout layout;
    final int kind;
    final long fixedPayloadBytes;
    final long[] referenceOffsets;
    final int elementBytes;
    private final long[] referenceWords;
    /** The header of a new object of this fixed type (age 0, no bits set); 0 for arrays. */
    final long fixedHeader;
    /**
     * Bytes a new object of this type takes in a mutator's nursery buffer (header and payload), or -1 if
     * it never goes there (arrays, whose size is known only at allocation, and large objects).
     */
    final long bufferObjectBytes;
    /** For a fixed type of up to 64 words: bit {@code w} set when payload word {@code w} is a reference. */
    final long smallReferenceMask;
    /** Whether {@link #smallReferenceMask} describes every word of the payload. */
    final boolean small;
    /**
     * For a fixed type of at most 63 payload words: {@link #smallReferenceMask} with bit 63 set, so the value is
     * negative; 0 for any other type. A negative value is all an aligned access inside the payload needs to know
     * its slot's kind ({@link GcHeap#slotMasks}).
     */
    final long fastSlotMask;
    /**
     * The first two reference offsets of a fixed type with at least two, for
     * {@link GcHeap#allocate(int, long, long)}; -1 for any other type.
     */
    final long firstReference;
    final long secondReference;
    /**
     * The payload bytes an allocation zeroes (the payload rounded up to 8; eden blocks are not zero-filled):
     * from 0, or from {@link #pairZeroFrom} when the first two references are set with the allocation.
     */
    final long zeroEnd;
    /** Where {@link GcHeap#allocate(int, long, long)} starts zeroing: 16 when its two references fill words 0 and 1. */
    final long pairZeroFrom;

    TypeInfo(int id, TypeLayout layout, long largeObjectThresholdBytes) {
        this.id = id;
        this.layout = layout;
        switch (layout) {
            case TypeLayout.Fixed fixed -> {
                kind = FIXED;
                fixedPayloadBytes = fixed.payloadBytes();
                referenceOffsets = fixed.offsetsUnsafe();
                elementBytes = 0;
            }
            case TypeLayout.ReferenceArray ignored -> {
                kind = REFERENCE_ARRAY;
                fixedPayloadBytes = -1;
                referenceOffsets = new long[0];
                elementBytes = 8;
            }
            case TypeLayout.PrimitiveArray array -> {
                kind = PRIMITIVE_ARRAY;
                fixedPayloadBytes = -1;
                referenceOffsets = new long[0];
                elementBytes = array.elementBytes();
            }
        }
        long words = kind == FIXED ? (fixedPayloadBytes + 7) / 8 : 0;
        referenceWords = new long[(int) Math.ceilDiv(words, 64)];
        for (long offset : referenceOffsets) {
            referenceWords[(int) (offset >>> 9)] |= 1L << (offset >>> 3);
        }
        small = kind == FIXED && words <= 64;
        smallReferenceMask = small && words > 0 ? referenceWords[0] : 0;
        fastSlotMask = kind == FIXED && words < 64 ? smallReferenceMask | Long.MIN_VALUE : 0;
        fixedHeader = kind == FIXED ? Header.of(id, fixedPayloadBytes) : 0;
        boolean pair = kind == FIXED && referenceOffsets.length >= 2;
        firstReference = pair ? referenceOffsets[0] : -1;
        secondReference = pair ? referenceOffsets[1] : -1;
        zeroEnd = kind == FIXED ? (fixedPayloadBytes + 7) & ~7L : 0;
        pairZeroFrom = firstReference == 0 && secondReference == 8 ? 16 : 0;
        long objectBytes = kind == FIXED ? Header.objectBytes(fixedPayloadBytes) : -1;
        bufferObjectBytes = objectBytes >= 0 && objectBytes < largeObjectThresholdBytes ? objectBytes : -1;
    }

    /**
     * {@return whether an aligned access of {@code width} bytes (at most 8) at {@code byteOffset}, already
     * known to be inside the payload, is of the kind the type allows there}: a reference slot for a
     * reference access, plain data for any other; the check the mutator's fast path makes
     */
    boolean allows(long byteOffset, int width, boolean reference) {
        if (small) {
            // An aligned access of at most 8 bytes touches exactly one word.
            boolean isReference = ((smallReferenceMask >>> (byteOffset >>> 3)) & 1) != 0;
            return isReference == reference && (!reference || (byteOffset & 7) == 0);
        }
        return reference ? isReferenceSlot(byteOffset)
                : kind == PRIMITIVE_ARRAY || (kind == FIXED && !overlapsReference(byteOffset, width));
    }

    /** {@return whether {@code [byteOffset, byteOffset + width)} of a fixed object touches a reference} */
    boolean overlapsReference(long byteOffset, int width) {
        for (long word = byteOffset >>> 3; word <= (byteOffset + width - 1) >>> 3; word++) {
            if ((referenceWords[(int) (word >>> 6)] & (1L << word)) != 0) {
                return true;
            }
        }
        return false;
    }

    boolean isReferenceSlot(long byteOffset) {
        return (byteOffset & 7) == 0 && switch (kind) {
            case FIXED -> overlapsReference(byteOffset, 8);
            case REFERENCE_ARRAY -> true;
            default -> false;
        };
    }

    String kindName() {
        return switch (kind) {
            case FIXED -> "fixed";
            case REFERENCE_ARRAY -> "reference array";
            default -> "primitive array";
        };
    }
}
