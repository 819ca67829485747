package dev.pagealloc.api;

import dev.pagealloc.internal.observe.RegionEvents;

/**
 * A software-checked guard or inaccessible page was written: the canary pattern the embedded
 * provider keeps in pages no code may touch has changed. Something wrote out of bounds. Thrown by
 * {@link Region#verifyGuards()} and before an operation, the region is left as it was so that it can
 * be inspected; thrown by {@link Region#deallocate()}, the region has been released all the same.
 */
public final class GuardCorruptedException extends PageAllocatorException {
    private static final long serialVersionUID = 1L;

    /** The address of the first guard byte found changed. */
    private final long corruptedAddress;

    /**
     * Creates an exception.
     *
     * @param operation the operation that verified the guards
     * @param regionAddress the region's base address
     * @param corruptedAddress the first address whose canary byte changed
     */
    public GuardCorruptedException(String operation, long regionAddress, long corruptedAddress) {
        super(operation, "the canary at " + Units.hex(corruptedAddress) + " (byteOffset="
                + (corruptedAddress - regionAddress) + " from the base " + Units.hex(regionAddress)
                + ") was overwritten: an out-of-bounds write hit an inaccessible page", null);
        this.corruptedAddress = corruptedAddress;
        RegionEvents.refused(this); // last: a JFR event reads the finished exception
    }

    /** {@return the first address whose canary changed} */
    public long corruptedAddress() {
        return corruptedAddress;
    }
}
