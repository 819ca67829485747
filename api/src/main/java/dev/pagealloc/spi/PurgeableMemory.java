package dev.pagealloc.spi;

/**
 * Purgeable memory (macOS {@code VM_FLAGS_PURGABLE} with {@code vm_purgable_control}): an allocation
 * the caller may mark volatile, letting the kernel empty it under memory pressure instead of paging it
 * out; making it non-volatile again reports whether it was emptied. For caches of data that can be
 * recomputed. The state applies to the whole allocation.
 *
 * @implSpec Implementations are thread-safe.
 */
public non-sealed interface PurgeableMemory extends PlatformFeature {

    /** The states of a purgeable allocation ({@code <mach/vm_purgable.h>}). */
    enum State {
        /** Contents are kept. */
        NON_VOLATILE,
        /** The kernel may empty the allocation at any time. */
        VOLATILE,
        /** Emptied: every page reads zero. */
        EMPTY
    }

    /**
     * Allocates non-volatile, read-write, zero purgeable memory.
     *
     * @param byteSize the size, in bytes; a positive multiple of the page size
     * @return its address
     * @throws IllegalArgumentException if {@code byteSize} is not a positive multiple of the page size
     * @throws SystemCallException if the OS refuses
     */
    long allocate(long byteSize) throws SystemCallException;

    /**
     * Sets the state of the allocation holding {@code address}.
     *
     * @param address an address inside it
     * @param state the new state
     * @return the state before: {@link State#EMPTY} when making it non-volatile means the contents were lost
     * @throws SystemCallException if the OS refuses
     */
    State setState(long address, State state) throws SystemCallException;

    /**
     * Releases an allocation made by {@link #allocate}.
     *
     * @param address its address
     * @param byteSize its size, in bytes
     * @throws SystemCallException if the OS refuses
     */
    void release(long address, long byteSize) throws SystemCallException;
}
