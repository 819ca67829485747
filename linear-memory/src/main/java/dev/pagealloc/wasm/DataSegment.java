package dev.pagealloc.wasm;

/**
 * A passive data segment, for {@code memory.init} and {@code data.drop}.
 *
 * <p>SKELETON (owned by the access part).
 */
public final class DataSegment {

    private volatile byte[] bytes;

    /** @param bytes the segment's bytes; not copied */
    public DataSegment(byte[] bytes) {
        this.bytes = bytes;
    }

    /** {@code data.drop}: the segment is empty from now on. */
    public void drop() {
        bytes = new byte[0];
    }

    /** {@return the bytes, empty once dropped} */
    byte[] bytes() {
        return bytes;
    }
}
