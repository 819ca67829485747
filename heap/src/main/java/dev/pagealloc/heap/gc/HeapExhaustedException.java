package dev.pagealloc.heap.gc;

import java.io.Serial;

/**
 * An allocation that does not fit in the heap's limits after a full collection. The heap is left
 * consistent and usable: drop roots and allocate again.
 */
public final class HeapExhaustedException extends RuntimeException {

    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * Makes the exception.
     *
     * @param message what was asked, and the sizes and limits that refused it
     */
    public HeapExhaustedException(String message) {
        super(message);
    }
}
