package dev.pagealloc.spi;

import dev.pagealloc.api.SystemCallError;

/**
 * A system call failed. Backends throw it with the call and its error; the shared layer above adds
 * the operation and turns it into a {@link dev.pagealloc.api.KernelException}. Checked, so that no
 * path forgets to say which operation failed.
 */
public final class SystemCallException extends Exception {
    private static final long serialVersionUID = 1L;

    /** The failed call and its error. */
    private final SystemCallError error;

    /**
     * Creates an exception.
     *
     * @param error the failed call and its error
     */
    public SystemCallException(SystemCallError error) {
        super(error.toString(), null, false, false);
        this.error = error;
    }

    /**
     * Creates an exception.
     *
     * @param call the call with its arguments
     * @param code the error code
     * @param name the error's symbolic name
     * @param description the platform's text for the error
     */
    public SystemCallException(String call, int code, String name, String description) {
        this(new SystemCallError(call, code, name, description));
    }

    /** {@return the failed call and its error} */
    public SystemCallError error() {
        return error;
    }
}
