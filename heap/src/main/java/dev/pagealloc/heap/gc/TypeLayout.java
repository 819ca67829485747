package dev.pagealloc.heap.gc;

import java.util.Arrays;

/**
 * The shape of a kind of object, registered with {@link GcHeap#registerType(TypeLayout)} at run time:
 * which payload bytes hold references (traced and updated by the collector) and which hold plain data.
 * Payload offsets are in bytes from the object's address (the first payload byte). Immutable and
 * thread-safe.
 */
public sealed interface TypeLayout {

    /** {@return the type's name, for messages and statistics} */
    String name();

    /**
     * A fixed-size object: {@code payloadBytes} bytes with a reference (8 bytes) at each of
     * {@code referenceOffsets}; the other bytes are plain data.
     *
     * @param name the type's name
     * @param payloadBytes the payload size, in bytes; {@code 0 <= payloadBytes}
     * @param referenceOffsets offsets of the reference fields, in bytes: each a multiple of 8, with
     *     {@code offset + 8 <= payloadBytes}, no two equal; copied
     */
    record Fixed(String name, long payloadBytes, long... referenceOffsets) implements TypeLayout {

        /**
         * Checks and copies the arguments.
         *
         * @throws NullPointerException if {@code name} or {@code referenceOffsets} is null
         * @throws IllegalArgumentException if {@code payloadBytes} is negative or above 2^40 - 1, or an
         *     offset is negative, not a multiple of 8, repeated, or not within the payload
         */
        public Fixed {
            if (name == null || referenceOffsets == null) {
                throw new NullPointerException("Fixed(name=" + name + "): name and referenceOffsets must not be null");
            }
            if (payloadBytes < 0 || payloadBytes > Header.MAX_PAYLOAD_BYTES) {
                throw new IllegalArgumentException("Fixed(name=" + name + ", payloadBytes=" + payloadBytes
                        + "): payloadBytes must be in [0, " + Header.MAX_PAYLOAD_BYTES + "]");
            }
            referenceOffsets = referenceOffsets.clone();
            Arrays.sort(referenceOffsets);
            for (int i = 0; i < referenceOffsets.length; i++) {
                long offset = referenceOffsets[i];
                if (offset < 0 || (offset & 7) != 0 || offset + 8 > payloadBytes
                        || (i > 0 && referenceOffsets[i - 1] == offset)) {
                    throw new IllegalArgumentException("Fixed(name=" + name + ", payloadBytes=" + payloadBytes
                            + "): reference offset " + offset + " must be a multiple of 8, unique, and with"
                            + " offset + 8 <= payloadBytes");
                }
            }
        }

        /** {@return a copy of the reference offsets, ascending, in bytes} */
        @Override
        public long[] referenceOffsets() {
            return referenceOffsets.clone();
        }

        long[] offsetsUnsafe() {
            return referenceOffsets;
        }

        /**
         * {@return whether {@code other} is a {@code Fixed} of the same name, payload size and reference offsets}
         * (the offsets compared by content, so that registering an equal layout again finds the first id)
         *
         * @param other any object
         */
        @Override
        public boolean equals(Object other) {
            return other instanceof Fixed that && name.equals(that.name) && payloadBytes == that.payloadBytes
                    && Arrays.equals(referenceOffsets, that.referenceOffsets);
        }

        /** {@return a hash of the name, payload size and reference offsets, consistent with equals} */
        @Override
        public int hashCode() {
            return (name.hashCode() * 31 + Long.hashCode(payloadBytes)) * 31 + Arrays.hashCode(referenceOffsets);
        }

        /** {@return the layout as text: name, payload size and reference offsets} */
        @Override
        public String toString() {
            return "Fixed[name=" + name + ", payloadBytes=" + payloadBytes + ", referenceOffsets="
                    + Arrays.toString(referenceOffsets) + "]";
        }
    }

    /**
     * An array of references, 8 bytes each; element {@code i} is at offset {@code 8 * i}. Its length is
     * given at allocation.
     *
     * @param name the type's name
     */
    record ReferenceArray(String name) implements TypeLayout {

        /**
         * Checks the name.
         *
         * @throws NullPointerException if {@code name} is null
         */
        public ReferenceArray {
            if (name == null) {
                throw new NullPointerException("ReferenceArray(name=null): name must not be null");
            }
        }
    }

    /**
     * An array of plain data elements of {@code elementBytes} each; element {@code i} is at offset
     * {@code elementBytes * i}. Its length is given at allocation.
     *
     * @param name the type's name
     * @param elementBytes the element size, in bytes: 1, 2, 4 or 8
     */
    record PrimitiveArray(String name, int elementBytes) implements TypeLayout {

        /**
         * Checks the arguments.
         *
         * @throws NullPointerException if {@code name} is null
         * @throws IllegalArgumentException if {@code elementBytes} is not 1, 2, 4 or 8
         */
        public PrimitiveArray {
            if (name == null) {
                throw new NullPointerException("PrimitiveArray(name=null): name must not be null");
            }
            if (elementBytes != 1 && elementBytes != 2 && elementBytes != 4 && elementBytes != 8) {
                throw new IllegalArgumentException("PrimitiveArray(name=" + name + ", elementBytes=" + elementBytes
                        + "): elementBytes must be 1, 2, 4 or 8");
            }
        }
    }
}
