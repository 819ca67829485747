package dev.pagealloc.api;

/**
 * A page operation that was well-formed but could not be carried out: the kernel refused it, the
 * reservation or a budget is exhausted. Bad arguments are {@link IllegalArgumentException}s and
 * misuse of a released region is {@link IllegalStateException}, as in the JDK.
 *
 * <p>Messages are one line: {@code operation(name=value, ...): what failed[: call -> ERRNAME (code): text]}.
 * A failed operation leaves the region as it was before the call unless the subclass says otherwise.
 */
public class PageAllocatorException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String operation;

    /**
     * Creates an exception.
     *
     * @param operation the operation with its arguments, e.g. {@code grow(additionalPages=4)}
     * @param failure what failed, in words
     * @param cause the underlying failure, or null
     */
    public PageAllocatorException(String operation, String failure, Throwable cause) {
        super(operation + ": " + failure, cause);
        this.operation = operation;
    }

    /** {@return the operation with its arguments, e.g. {@code grow(additionalPages=4)}} */
    public String operation() {
        return operation;
    }
}
