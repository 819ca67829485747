package dev.pagealloc.wasm;

/**
 * A WebAssembly trap raised by a memory access: out of bounds, or a misaligned atomic access.
 *
 * <p>SKELETON (owned by the access part).
 */
public final class MemoryAccessTrap extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates a trap.
     *
     * @param message what was accessed and the memory's size
     */
    public MemoryAccessTrap(String message) {
        super(message);
    }
}
