package dev.pagealloc.internal;

import dev.pagealloc.api.MemoryPartition;

/**
 * The commit path's view of {@link MemoryPartition}: a charge that leaves the guaranteed reserves as they
 * are, and the settling of them once the pages charged are committed and resident. Not public API (this
 * package is exported to no one); {@code MemoryPartition} installs the implementation when it is loaded,
 * which happens before any partition exists to be charged.
 *
 * <p>Thread-safe.
 */
public final class Partitions {
    /** What {@link MemoryPartition} gives the commit path. */
    public interface Access {
        /**
         * Charges {@code byteCount} to {@code partition} and its ancestors, asking the limiter before a
         * refusal, without touching any reserve.
         *
         * @param partition the partition charged
         * @param operation the operation charging, for the message
         * @param byteCount the bytes
         */
        void charge(MemoryPartition partition, String operation, long byteCount);

        /**
         * Brings the reserves of {@code partition}'s chain to what its use leaves of each guaranteed minimum.
         *
         * @param partition the partition charged
         */
        void settle(MemoryPartition partition);
    }

    private static volatile Access access;

    private Partitions() {}

    /**
     * Installs the implementation; once.
     *
     * @param implementation {@code MemoryPartition}'s
     * @throws IllegalStateException if one is installed already
     */
    public static void install(Access implementation) {
        synchronized (Partitions.class) {
            if (access != null) {
                throw new IllegalStateException("Partitions.install: already installed");
            }
            access = implementation;
        }
    }

    static void charge(MemoryPartition partition, String operation, long byteCount) {
        access.charge(partition, operation, byteCount);
    }

    static void settle(MemoryPartition partition) {
        access.settle(partition);
    }
}
