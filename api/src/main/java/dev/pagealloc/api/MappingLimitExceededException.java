package dev.pagealloc.api;

import dev.pagealloc.internal.observe.RegionEvents;

/**
 * An operation that would leave the process too few memory mappings. Linux refuses a process more
 * than {@code vm.max_map_count} mappings (65530 by default), and the JVM aborts when it then cannot
 * map memory for itself (metaspace, thread stacks, code cache). Each region costs its reservation
 * plus one mapping per run of pages with one protection, so fragmenting regions with alternating
 * protections is what gets near the limit. pagealloc refuses, before any system call, an operation
 * that would take the process within the headroom it keeps for the JVM
 * ({@link PageAllocatorBuilder#withMappingHeadroom(long)}); nothing is changed, and the region's views
 * stay valid. Protecting runs back to one protection, decommitting them alike, or deallocating
 * regions gives mappings back.
 */
public final class MappingLimitExceededException extends PageAllocatorException {
    private static final long serialVersionUID = 1L;

    /** The mappings the process had when the operation was refused. */
    private final long processMappings;
    /** The mappings the operation could have added, at most. */
    private final long additionalMappings;
    /** The kernel's limit on one process's mappings ({@code vm.max_map_count}). */
    private final long limit;
    /** The mappings pagealloc keeps free under the limit for the JVM and other code. */
    private final long headroom;

    /**
     * Creates an exception.
     *
     * @param operation the operation with its arguments
     * @param processMappings the mappings the process has now, as the kernel counts them
     * @param additionalMappings the mappings the operation could add, at most
     * @param limit the kernel's limit ({@code vm.max_map_count})
     * @param headroom the mappings kept free for the JVM and everything else in the process
     */
    public MappingLimitExceededException(String operation, long processMappings, long additionalMappings, long limit,
            long headroom) {
        super(operation, "the process has " + processMappings + " memory mappings and this could add "
                + additionalMappings + ", leaving fewer than mappingHeadroom=" + headroom
                + " of vm.max_map_count=" + limit + " for the JVM; deallocate regions or merge protections first",
                null);
        this.processMappings = processMappings;
        this.additionalMappings = additionalMappings;
        this.limit = limit;
        this.headroom = headroom;
        RegionEvents.refused(this); // last: a JFR event reads the finished exception
    }

    /** {@return the mappings the process had when the operation was refused} */
    public long processMappings() {
        return processMappings;
    }

    /** {@return the mappings the operation could have added, at most} */
    public long additionalMappings() {
        return additionalMappings;
    }

    /** {@return the kernel's per-process limit, {@code vm.max_map_count}} */
    public long limit() {
        return limit;
    }

    /** {@return the mappings kept free for the JVM} */
    public long headroom() {
        return headroom;
    }
}
