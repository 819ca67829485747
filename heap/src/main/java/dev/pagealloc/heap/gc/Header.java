package dev.pagealloc.heap.gc;

/**
 * The 64-bit object header, the word just before an object's payload.
 *
 * <pre>
 * bit  0      mark        set by a major collection's mark, cleared by its sweep; during a minor
 *                         collection it means "kept in place and already scanned" (pinned, or no
 *                         room to copy it)
 * bit  1      pinned      the object never moves while set
 * bit  2      forwarded   the object was copied: bits 3..63 of this word, with bits 0..2 zero, are
 *                         the copy's payload address (payloads are 8-byte aligned); the payload
 *                         itself is left as it was, and the copy's own header is the original one
 * bit  3      logged      a large object that holds a reference into the nursery is in the
 *                         remembered list (object logging: large objects have no card)
 * bits 4..7   age         minor collections survived (0..15)
 * bits 8..23  type id     1..65535; 0 never names a type, so an allocated header is never 0 and
 *                         a free old-generation cell has header 0
 * bits 24..63 size        the exact payload size, in bytes (up to 2^40 - 1)
 * </pre>
 *
 * <p>Static helpers over raw header words; no state.
 */
final class Header {

    static final long MARK = 1L;
    static final long PINNED = 1L << 1;
    static final long FORWARDED = 1L << 2;
    static final long LOGGED = 1L << 3;
    static final int AGE_SHIFT = 4;
    static final long AGE_MASK = 0xFL << AGE_SHIFT;
    static final int MAX_AGE = 15;
    static final int TYPE_SHIFT = 8;
    static final int MAX_TYPE_ID = 0xFFFF;
    static final int SIZE_SHIFT = 24;
    static final long MAX_PAYLOAD_BYTES = (1L << 40) - 1;

    /** Bytes of a header. */
    static final long BYTES = 8;

    private Header() {
    }

    static long of(int typeId, long payloadBytes) {
        return ((long) typeId << TYPE_SHIFT) | (payloadBytes << SIZE_SHIFT);
    }

    static int typeId(long header) {
        return (int) ((header >>> TYPE_SHIFT) & MAX_TYPE_ID);
    }

    static long payloadBytes(long header) {
        return header >>> SIZE_SHIFT;
    }

    static int age(long header) {
        return (int) ((header & AGE_MASK) >>> AGE_SHIFT);
    }

    static long withAge(long header, int age) {
        return (header & ~AGE_MASK) | ((long) Math.min(age, MAX_AGE) << AGE_SHIFT);
    }

    static boolean isForwarded(long header) {
        return (header & FORWARDED) != 0;
    }

    static long forwardingWord(long newAddress) {
        return newAddress | FORWARDED;
    }

    static long forwardee(long header) {
        return header & ~7L;
    }

    /** {@return the bytes an object of this payload takes: header plus payload rounded up to 8} */
    static long objectBytes(long payloadBytes) {
        return BYTES + ((payloadBytes + 7) & ~7L);
    }

    /**
     * {@return the bytes an object of this payload takes in a heap whose objects are tagged
     * ({@code granules}: whole 16-byte granules, so no two objects share one) or not}
     */
    static long objectBytes(long payloadBytes, boolean granules) {
        long bytes = BYTES + ((payloadBytes + 7) & ~7L);
        return granules ? (bytes + 15) & ~15L : bytes;
    }
}
