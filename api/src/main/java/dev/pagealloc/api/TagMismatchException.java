package dev.pagealloc.api;

import java.io.Serial;

/**
 * An access through a tagged pointer whose tag is not the memory's: a use after free, an overflow into
 * a neighbouring block, or a wild pointer. Thrown by the library's tagged accessors (software tagging),
 * at once or, in an asynchronous mode, from {@link TagSpace#throwPendingMismatch()}.
 *
 * <p>Immutable once thrown.
 */
public final class TagMismatchException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** The untagged address (or index) of the first mismatching granule's access. */
    private final long address;
    /** The pointer's tag, 0 to 15. */
    private final int pointerTag;
    /** The memory's tag at {@link #address}, 0 to 15. */
    private final int memoryTag;

    /**
     * Creates the exception.
     *
     * @param operation what was done, e.g. {@code "load"}, {@code "store"}, {@code "free"}
     * @param pointer the tagged pointer used
     * @param byteLength the access width, in bytes
     * @param address the address (or index) whose granule's tag differs
     * @param memoryTag that granule's tag, 0 to 15
     */
    public TagMismatchException(String operation, long pointer, long byteLength, long address, int memoryTag) {
        super(operation + "(pointer=0x" + Long.toHexString(pointer) + ", byteLength=" + byteLength
                + "): tag mismatch at 0x" + Long.toHexString(address) + ": pointer tag " + TagSpace.tagOf(pointer)
                + ", memory tag " + memoryTag);
        this.address = address;
        this.pointerTag = TagSpace.tagOf(pointer);
        this.memoryTag = memoryTag;
    }

    /** {@return the untagged address (or index) whose granule's tag differs} */
    public long address() {
        return address;
    }

    /** {@return the pointer's tag, 0 to 15} */
    public int pointerTag() {
        return pointerTag;
    }

    /** {@return the memory's tag at {@link #address()}, 0 to 15} */
    public int memoryTag() {
        return memoryTag;
    }
}
