package dev.pagealloc.wasm;

import java.util.Objects;

/**
 * A memory's type, as WebAssembly declares it: limits in pages, the page size, the index type, and
 * whether it is shared. Checked when built: a record that exists is a valid type.
 *
 * <p>The limits, by index type and page size (WebAssembly core specification 3.0, "Memory Types":
 * the limits must be within {@code 2^addressBits / pageBytes}; memory64 proposal; custom-page-sizes
 * proposal, which allows the page sizes 65536 and 1):
 * <table class="striped">
 *   <caption>Largest page count</caption>
 *   <thead><tr><th>index type</th><th>65536-byte pages</th><th>1-byte pages</th></tr></thead>
 *   <tbody>
 *     <tr><td>{@link IndexType#I32}</td><td>2<sup>16</sup> (4 GiB)</td><td>2<sup>32</sup> (4 GiB)</td></tr>
 *     <tr><td>{@link IndexType#I64}</td><td>2<sup>48</sup> (2<sup>64</sup> bytes)</td>
 *         <td>2<sup>63</sup> - 1 (the specification's 2<sup>64</sup>, capped by Java's {@code long})</td></tr>
 *   </tbody>
 * </table>
 * A type can declare more than a host can give: a memory reserves what its strategy allows
 * ({@link MemoryOptions}) and refuses growth past it with -1, as {@code memory.grow} may.
 *
 * <p>Immutable and thread-safe.
 *
 * @param indexType 32- or 64-bit addresses
 * @param pageBytes the page size, in bytes: 65536, or 1 (custom-page-sizes proposal)
 * @param minimumPages the initial size, in pages; {@code 0 <= minimumPages <= maximumPages}
 * @param maximumPages the maximum size, in pages; -1 when the type declares none
 * @param shared whether the memory is shared between threads (atomics, wait/notify); a shared type
 *     declares a maximum
 */
public record MemoryType(IndexType indexType, long pageBytes, long minimumPages, long maximumPages, boolean shared) {

    /** WebAssembly's default page size, in bytes. */
    public static final long WASM_PAGE_BYTES = 65536;

    /** The other page size of the custom-page-sizes proposal, in bytes. */
    public static final long BYTE_PAGE_BYTES = 1;

    /** {@link #maximumPages()} of a type that declares no maximum. */
    public static final long NO_MAXIMUM = -1;

    /**
     * Checks the type.
     *
     * @throws NullPointerException if {@code indexType} is null
     * @throws IllegalArgumentException if {@code pageBytes} is neither 65536 nor 1, {@code minimumPages}
     *     is negative or past the index type's limit, {@code maximumPages} is neither -1 nor within
     *     {@code [minimumPages, limit]}, or {@code shared} without a maximum; the message names the
     *     field, its value and the limit
     */
    public MemoryType {
        Objects.requireNonNull(indexType, "MemoryType(indexType=null): the index type must not be null");
        String type = describe(indexType, pageBytes, minimumPages, maximumPages, shared);
        if (pageBytes != WASM_PAGE_BYTES && pageBytes != BYTE_PAGE_BYTES) {
            throw new IllegalArgumentException(type + ": pageBytes must be 65536 or 1 (custom-page-sizes proposal)");
        }
        long limit = pageLimit(indexType, pageBytes);
        if (minimumPages < 0 || minimumPages > limit) {
            throw new IllegalArgumentException(type + ": minimumPages must be within [0, " + limit + "], the "
                    + indexType + " limit for " + pageBytes + "-byte pages");
        }
        if (maximumPages != NO_MAXIMUM && (maximumPages < 0 || maximumPages > limit)) {
            throw new IllegalArgumentException(type + ": maximumPages must be -1 (none) or within [0, " + limit
                    + "], the " + indexType + " limit for " + pageBytes + "-byte pages");
        }
        if (maximumPages != NO_MAXIMUM && minimumPages > maximumPages) {
            throw new IllegalArgumentException(type + ": minimumPages must not exceed maximumPages");
        }
        if (shared && maximumPages == NO_MAXIMUM) {
            throw new IllegalArgumentException(type + ": a shared memory must declare maximumPages");
        }
    }

    /**
     * {@return an unshared 32-bit memory of 64 KiB pages}
     *
     * @param minimumPages the initial size, in 64 KiB pages; within {@code [0, 65536]}
     * @param maximumPages the maximum, in 64 KiB pages; -1 for none, else within {@code [minimumPages, 65536]}
     * @throws IllegalArgumentException as the {@linkplain #MemoryType canonical constructor}
     */
    public static MemoryType i32(long minimumPages, long maximumPages) {
        return new MemoryType(IndexType.I32, WASM_PAGE_BYTES, minimumPages, maximumPages, false);
    }

    /**
     * {@return an unshared 32-bit memory of 64 KiB pages without a maximum}
     *
     * @param minimumPages the initial size, in 64 KiB pages; within {@code [0, 65536]}
     * @throws IllegalArgumentException as the {@linkplain #MemoryType canonical constructor}
     */
    public static MemoryType i32(long minimumPages) {
        return i32(minimumPages, NO_MAXIMUM);
    }

    /**
     * {@return an unshared 64-bit (memory64) memory of 64 KiB pages}
     *
     * @param minimumPages the initial size, in 64 KiB pages; within {@code [0, 2^48]}
     * @param maximumPages the maximum, in 64 KiB pages; -1 for none, else within {@code [minimumPages, 2^48]}
     * @throws IllegalArgumentException as the {@linkplain #MemoryType canonical constructor}
     */
    public static MemoryType i64(long minimumPages, long maximumPages) {
        return new MemoryType(IndexType.I64, WASM_PAGE_BYTES, minimumPages, maximumPages, false);
    }

    /**
     * {@return a shared 32-bit memory of 64 KiB pages}
     *
     * @param minimumPages the initial size, in 64 KiB pages; within {@code [0, maximumPages]}
     * @param maximumPages the maximum, in 64 KiB pages; within {@code [minimumPages, 65536]}
     * @throws IllegalArgumentException as the {@linkplain #MemoryType canonical constructor}
     */
    public static MemoryType sharedI32(long minimumPages, long maximumPages) {
        return new MemoryType(IndexType.I32, WASM_PAGE_BYTES, minimumPages, maximumPages, true);
    }

    /**
     * {@return this type with another page size}, the limits unchanged in pages
     *
     * @param newPageBytes 65536, or 1 (custom-page-sizes proposal)
     * @throws IllegalArgumentException as the {@linkplain #MemoryType canonical constructor}
     */
    public MemoryType withPageBytes(long newPageBytes) {
        return new MemoryType(indexType, newPageBytes, minimumPages, maximumPages, shared);
    }

    /** {@return whether the type declares a maximum} */
    public boolean hasMaximum() {
        return maximumPages != NO_MAXIMUM;
    }

    /** {@return the initial size, in bytes} */
    public long minimumBytes() {
        return minimumPages * pageBytes; // cannot overflow: checked against the page limit
    }

    /**
     * {@return the largest size this type allows, in bytes}: the declared maximum, or the index type's
     * limit without one; {@link Long#MAX_VALUE} where that passes a {@code long} (memory64)
     */
    public long maximumBytes() {
        long pages = hasMaximum() ? maximumPages : pageLimit(indexType, pageBytes);
        return pages > Long.MAX_VALUE / pageBytes ? Long.MAX_VALUE : pages * pageBytes;
    }

    /**
     * {@return the largest page count a memory of {@code indexType} with {@code pageBytes} pages may
     * declare}, as in the class comment's table
     *
     * @param indexType the index type
     * @param pageBytes 65536 or 1
     * @throws IllegalArgumentException if {@code pageBytes} is neither
     */
    public static long pageLimit(IndexType indexType, long pageBytes) {
        if (pageBytes != WASM_PAGE_BYTES && pageBytes != BYTE_PAGE_BYTES) {
            throw new IllegalArgumentException("pageLimit(pageBytes=" + pageBytes + "): pageBytes must be 65536 or 1");
        }
        return switch (indexType) {
            case I32 -> (1L << 32) / pageBytes;
            case I64 -> pageBytes == WASM_PAGE_BYTES ? 1L << 48 : Long.MAX_VALUE;
        };
    }

    private static String describe(IndexType indexType, long pageBytes, long minimumPages, long maximumPages,
            boolean shared) {
        return "MemoryType(indexType=" + indexType + ", pageBytes=" + pageBytes + ", minimumPages=" + minimumPages
                + ", maximumPages=" + maximumPages + ", shared=" + shared + ")";
    }
}
