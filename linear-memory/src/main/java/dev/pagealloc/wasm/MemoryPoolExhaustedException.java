package dev.pagealloc.wasm;

/**
 * A {@link MemoryPool} cannot give a memory now: every slot is in use (or waits for the views of its last
 * owner to be retired), or the pool's committed-bytes limit would be passed. Nothing changed: no slot was
 * taken and no page committed. Releasing memories makes room.
 */
public final class MemoryPoolExhaustedException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the operation, the limit reached and the pool's state
     */
    public MemoryPoolExhaustedException(String message) {
        super(message);
    }
}
