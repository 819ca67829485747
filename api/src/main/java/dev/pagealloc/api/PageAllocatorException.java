package dev.pagealloc.api;

/**
 * The one type every pagealloc failure that a correct program can meet belongs to: a well-formed
 * request that could not be carried out. The set is closed, so a {@code switch} over it is exhaustive:
 * <ul>
 * <li>{@link PlatformUnavailableException}: no platform provider can serve the build;
 * <li>{@link UnsupportedOptionException}: an option the platform cannot honour (and best effort is off);
 * <li>{@link MaximumPagesExceededException}: a grow past the region's maximum;
 * <li>{@link BudgetExceededException}: a commit past a {@link MemoryPartition}'s maximum (a {@link MemoryBudget}'s);
 * <li>{@link MappingLimitExceededException}: an operation that would leave the process too few
 *     memory mappings ({@code vm.max_map_count});
 * <li>{@link KernelException}: the operating system refused a system call;
 * <li>{@link GuardCorruptedException}: a software-checked guard was overwritten.
 * </ul>
 * Programming errors keep their JDK types and are not {@code PageAllocatorException}s: bad arguments
 * are {@link IllegalArgumentException}, {@link NullPointerException} or
 * {@link IndexOutOfBoundsException}; using a deallocated region is {@link IllegalStateException};
 * using a confined view from another thread is {@link WrongThreadException}.
 *
 * <p>Messages are one line: {@code operation(name=value, ...): what failed[: call -> ERRNAME (code): text]}.
 * A failed operation leaves the region as it was before the call unless the subclass says otherwise.
 * Instances are immutable and may be shared between threads.
 */
public abstract sealed class PageAllocatorException extends RuntimeException
        permits PlatformUnavailableException, UnsupportedOptionException, MaximumPagesExceededException,
                BudgetExceededException, MappingLimitExceededException, KernelException, GuardCorruptedException {
    private static final long serialVersionUID = 1L;

    /** The operation with its arguments, as the message begins. */
    private final String operation;

    /**
     * Creates an exception.
     *
     * @param operation the operation with its arguments, e.g. {@code grow(additionalPages=4)}
     * @param failure what failed, in words
     * @param cause the underlying failure, or null
     */
    protected PageAllocatorException(String operation, String failure, Throwable cause) {
        super(operation + ": " + failure, cause);
        this.operation = operation;
    }

    /** {@return the operation with its arguments, e.g. {@code grow(additionalPages=4)}} */
    public String operation() {
        return operation;
    }
}
