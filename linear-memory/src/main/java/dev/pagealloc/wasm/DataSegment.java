package dev.pagealloc.wasm;

import java.util.Objects;

/**
 * A passive data segment, for {@code memory.init} ({@link LinearMemory#init}) and {@code data.drop}.
 *
 * <p>Thread-safe: {@link #drop()} publishes the empty contents to every thread, and an {@code init}
 * racing with it copies either all the requested bytes or traps as on a dropped segment.
 */
public final class DataSegment {

    private static final byte[] DROPPED = new byte[0];

    private volatile byte[] bytes;

    /**
     * Creates a segment over {@code bytes}.
     *
     * @param bytes the segment's bytes; not copied, so the caller must not change them afterwards
     * @throws NullPointerException if {@code bytes} is null
     */
    public DataSegment(byte[] bytes) {
        this.bytes = Objects.requireNonNull(bytes, "bytes");
    }

    /** {@code data.drop}: the segment is empty from now on (an {@code init} of 0 bytes at 0 still works). */
    public void drop() {
        bytes = DROPPED;
    }

    /** {@return the segment's size in bytes; 0 once dropped} */
    public int byteSize() {
        return bytes.length;
    }

    /** {@return the bytes, empty once dropped} */
    byte[] bytes() {
        return bytes;
    }
}
