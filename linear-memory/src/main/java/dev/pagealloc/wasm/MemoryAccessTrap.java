package dev.pagealloc.wasm;

/**
 * A WebAssembly trap raised by a memory access: out of bounds, a misaligned atomic access, or a wait on
 * an unshared memory. The message begins with the WebAssembly specification's trap text ({@code "out of
 * bounds memory access"}, {@code "unaligned atomic"}, {@code "expected shared memory"}), as the official
 * spec tests and Chicory expect, then names the address, the access width and the memory's size.
 *
 * <p>A trap never reports anything else: a released memory throws {@link IllegalStateException}, and a
 * host array too small for a bulk operation throws {@link IndexOutOfBoundsException} or
 * {@link IllegalArgumentException}. A trapping access has changed nothing (bulk operations check their
 * whole range before they write a byte). Immutable.
 */
public final class MemoryAccessTrap extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Why an access trapped. */
    public enum Kind {
        /** The access, or part of it, lies outside {@code [0, byteSize())}, or its address overflowed. */
        OUT_OF_BOUNDS("out of bounds memory access"),
        /** An atomic access whose address is not a multiple of its width. */
        UNALIGNED_ATOMIC("unaligned atomic"),
        /** {@code memory.atomic.wait32/64} on a memory that is not shared. */
        UNSHARED_WAIT("expected shared memory");

        private final String specText;

        Kind(String specText) {
            this.specText = specText;
        }

        /** {@return the WebAssembly specification's text for this trap, which begins the message} */
        public String specText() {
            return specText;
        }
    }

    /** Why the access trapped. */
    private final Kind kind;
    /** The effective address, unsigned; the base for an overflow; -1 when unknown. */
    private final long address;
    /** The access's width or bulk length in bytes, unsigned; -1 when unknown. */
    private final long widthBytes;
    /** The memory's size in bytes as the access saw it; -1 when unknown. */
    private final long memoryBytes;

    /**
     * Creates an out-of-bounds trap carrying only a message (address, width and size unknown, reported
     * as -1).
     *
     * @param message what was accessed and the memory's size
     */
    public MemoryAccessTrap(String message) {
        this(Kind.OUT_OF_BOUNDS, message, -1, -1, -1);
    }

    private MemoryAccessTrap(Kind kind, String message, long address, long widthBytes, long memoryBytes) {
        super(message);
        this.kind = kind;
        this.address = address;
        this.widthBytes = widthBytes;
        this.memoryBytes = memoryBytes;
    }

    static MemoryAccessTrap outOfBounds(long address, long widthBytes, long memoryBytes) {
        return of(Kind.OUT_OF_BOUNDS, address, widthBytes, memoryBytes);
    }

    static MemoryAccessTrap unaligned(long address, long widthBytes, long memoryBytes) {
        return of(Kind.UNALIGNED_ATOMIC, address, widthBytes, memoryBytes);
    }

    static MemoryAccessTrap unsharedWait(long address, long widthBytes, long memoryBytes) {
        return of(Kind.UNSHARED_WAIT, address, widthBytes, memoryBytes);
    }

    /** base + offset passed the index type's range: the address is reported as the base. */
    static MemoryAccessTrap overflow(long base, long offset, IndexType indexType, long memoryBytes) {
        String range = indexType == IndexType.I32 ? "2^32" : "2^64";
        return new MemoryAccessTrap(Kind.OUT_OF_BOUNDS, Kind.OUT_OF_BOUNDS.specText + ": base=" + hex(base)
                + " + offset=" + hex(offset) + " passes " + range + ", memoryBytes=" + memoryBytes,
                base, 0, memoryBytes);
    }

    private static MemoryAccessTrap of(Kind kind, long address, long widthBytes, long memoryBytes) {
        return new MemoryAccessTrap(kind, kind.specText + ": address=" + hex(address) + ", widthBytes="
                + Long.toUnsignedString(widthBytes) + ", memoryBytes=" + memoryBytes, address, widthBytes,
                memoryBytes);
    }

    static String hex(long unsigned) {
        return "0x" + Long.toHexString(unsigned);
    }

    /** {@return why the access trapped} */
    public Kind kind() {
        return kind;
    }

    /**
     * {@return the effective address accessed, unsigned (the base when {@code base + offset} overflowed);
     * -1 when unknown}
     */
    public long address() {
        return address;
    }

    /**
     * {@return the access's width in bytes (1 to 16 for loads, stores and atomics; the length for bulk
     * operations, unsigned; 0 for an address overflow); -1 when unknown}
     */
    public long widthBytes() {
        return widthBytes;
    }

    /** {@return the memory's size in bytes as the access saw it; -1 when unknown} */
    public long memoryBytes() {
        return memoryBytes;
    }
}
