package dev.pagealloc.wasm;

import java.lang.foreign.MemorySegment;

/**
 * The seam between a {@link LinearMemory}'s accessors and where its bytes live (a region of its own, or a
 * pool slot). Implementations are thread-safe.
 */
interface MemoryStorage {

    /**
     * {@return a view of the memory's bytes {@code [0, byteSize())}, usable from any thread}; a view
     * taken earlier stays valid (with its old bound) until the memory is released, because memory
     * only grows and the base never moves
     *
     * @throws IllegalStateException if the memory was released
     */
    MemorySegment view();

    /** {@return the memory's size, in bytes} */
    long byteSize();

    /**
     * Grows the memory by {@code deltaPages} pages, atomically for other threads: a thread that sees the
     * new size through {@link #byteSize()} or {@link #view()} sees the new pages committed and zero.
     *
     * @param deltaPages the pages to add, unsigned
     * @return the old size in pages, or -1 if refused (past the maximum, the pool's limits, the kernel)
     */
    long grow(long deltaPages);

    /** Releases the memory; idempotent, from any thread. */
    void release();

    /** {@return whether {@link #release()} was called} */
    boolean isReleased();
}
