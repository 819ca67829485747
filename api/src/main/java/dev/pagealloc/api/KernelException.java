package dev.pagealloc.api;

import dev.pagealloc.internal.observe.RegionEvents;

/**
 * The operating system refused a page operation. The message names the operation and its
 * arguments, what pagealloc was doing, the system call with its arguments and the error in words:
 * {@code grow(additionalPages=4): cannot commit 262144 bytes at 0x7f3a12340000: mprotect(0x7f3a12340000,
 * 262144, PROT_READ|PROT_WRITE) -> ENOMEM (12): Cannot allocate memory}.
 */
public final class KernelException extends PageAllocatorException {
    private static final long serialVersionUID = 1L;

    /** The refused system call and its error. */
    private final SystemCallError systemCallError;

    /**
     * Creates an exception.
     *
     * @param operation the operation with its arguments
     * @param failure what pagealloc was doing, e.g. {@code cannot commit 262144 bytes at 0x7f3a12340000}
     * @param systemCallError the failed call
     */
    public KernelException(String operation, String failure, SystemCallError systemCallError) {
        super(operation, failure + ": " + systemCallError, null);
        this.systemCallError = systemCallError;
        RegionEvents.refused(this); // last: a JFR event reads the finished exception
    }

    /** {@return the failed system call and its error} */
    public SystemCallError systemCallError() {
        return systemCallError;
    }

    /** {@return the error code: errno, {@code kern_return_t} or Win32 error} */
    public int errorCode() {
        return systemCallError.code();
    }

    /** {@return the error's symbolic name, e.g. {@code ENOMEM}} */
    public String errorName() {
        return systemCallError.name();
    }
}
