package dev.pagealloc.platform.support;

import dev.pagealloc.spi.SystemCallException;

/**
 * Reserving address space aligned beyond the page size, written once for the platforms whose kernel
 * cannot be asked for an alignment (Linux {@code mmap}, Mach {@code mach_vm_allocate} without a mask):
 * reserve {@code alignment - page} bytes more, then give back the head before the first aligned address
 * and the tail after the range. Wasmtime and HotSpot ({@code os::reserve_memory_aligned}) do the same.
 *
 * <p>A trimmed head or tail is no longer this call's: another thread (the JVM, malloc) may map it at
 * once, and unmapping removes whatever lies in the range given (Linux {@code munmap}; Mach
 * {@code vm_map_remove_guard -> vm_map_delete}, {@code osfmk/vm/vm_user.c:201-226}), so a rollback
 * releases only what is still owned: the whole mapping before the head is trimmed, the aligned range and
 * tail after.
 *
 * <p>Stateless and thread-safe.
 */
public final class AlignedReservation {
    private AlignedReservation() {}

    /** Maps {@code byteSize} bytes of inaccessible address space anywhere. */
    @FunctionalInterface
    public interface Reserve {
        /**
         * {@return the address mapped}
         *
         * @param byteSize the size, in bytes
         * @throws SystemCallException if the kernel refuses
         */
        long reserve(long byteSize) throws SystemCallException;
    }

    /** Gives back part of a mapping. */
    @FunctionalInterface
    public interface Release {
        /**
         * Releases {@code [address, address + byteSize)}.
         *
         * @param address the first address
         * @param byteSize the size, in bytes
         * @throws SystemCallException if the kernel refuses
         */
        void release(long address, long byteSize) throws SystemCallException;
    }

    /** Gives back what is still owned after a failure, adding its own failure to the one reported. */
    @FunctionalInterface
    public interface Rollback {
        /**
         * Releases {@code [address, address + byteSize)} after {@code failure}.
         *
         * @param address the first address still owned
         * @param byteSize the bytes still owned
         * @param failure the failure being reported
         */
        void rollback(long address, long byteSize, SystemCallException failure);
    }

    /**
     * {@return the first address of {@code byteSize} reserved bytes aligned to {@code alignmentBytes}}
     *
     * @param byteSize the size, in bytes, a multiple of {@code pageBytes}
     * @param alignmentBytes the alignment, a power of two, in bytes
     * @param pageBytes the page size, in bytes: any mapping is aligned to it
     * @param reserve maps address space anywhere
     * @param trim releases a head or tail
     * @param rollback releases what is still owned when {@code trim} fails
     * @throws SystemCallException if {@code reserve} or {@code trim} fails; nothing stays reserved then,
     *     unless the rollback itself failed (its failure is then suppressed in the one thrown)
     * @throws ArithmeticException if {@code byteSize} plus the slack overflows
     */
    public static long reserve(long byteSize, long alignmentBytes, long pageBytes, Reserve reserve, Release trim,
            Rollback rollback) throws SystemCallException {
        long slack = alignmentBytes > pageBytes ? alignmentBytes - pageBytes : 0;
        long mapBytes = Math.addExact(byteSize, slack);
        long raw = reserve.reserve(mapBytes);
        long address = (raw + alignmentBytes - 1) & -alignmentBytes;
        long end = address + byteSize;
        long rawEnd = raw + mapBytes;
        long ownedStart = raw;
        try {
            if (address > raw) {
                trim.release(raw, address - raw);
                ownedStart = address;
            }
            if (rawEnd > end) {
                trim.release(end, rawEnd - end);
            }
        } catch (SystemCallException e) {
            rollback.rollback(ownedStart, rawEnd - ownedStart, e);
            throw e;
        }
        return address;
    }
}
