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

    TypeInfo(int id, TypeLayout layout) {
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
