package dev.pagealloc.wasm;

import java.util.Objects;

/**
 * Where a memory of its own ({@link LinearMemory#create(MemoryType, MemoryOptions)}) lives: its
 * reservation strategy and guard regions.
 *
 * <p>The default ({@link #DEFAULT}): {@link ReservationStrategy#INDEX_SPACE} for 32-bit memories, a guard of
 * 2 GiB after the reservation and 64 KiB before it. Reserving the index space makes the base and the
 * bounds fixed for the memory's life and lets generated code elide bounds checks for offsets below the
 * guard, at the price of address space alone (6 GiB per memory: about 20,000 memories in x86-64's 128 TiB
 * user address space). The 2 GiB guard is the one wasmtime used for its static memories for years
 * ({@code static_memory_guard_size}), which covers every offset a signed 32-bit immediate can give.
 *
 * <p>Immutable and thread-safe.
 *
 * @param strategy how much address space to reserve; {@code null} means the default per index type
 *     ({@link ReservationStrategy#INDEX_SPACE} for {@link IndexType#I32}, {@link ReservationStrategy#MAXIMUM}
 *     for {@link IndexType#I64})
 * @param guardBeforeBytes inaccessible bytes before the base; a non-negative multiple of 65536
 * @param guardAfterBytes inaccessible bytes after the reservation; a non-negative multiple of 65536
 * @param reservationLimitBytes the most a {@link ReservationStrategy#MAXIMUM} reservation takes, in bytes,
 *     for types whose maximum is larger or absent (memory64); a positive multiple of 65536. Growth past it
 *     returns -1, as {@code memory.grow} may for any reason
 */
public record MemoryOptions(ReservationStrategy strategy, long guardBeforeBytes, long guardAfterBytes,
        long reservationLimitBytes) {

    /** The guard after the reservation by default, in bytes: 2 GiB. */
    public static final long DEFAULT_GUARD_AFTER_BYTES = 2L << 30;

    /** The guard before the base by default, in bytes: one 64 KiB page. */
    public static final long DEFAULT_GUARD_BEFORE_BYTES = 64 << 10;

    /** The default reservation limit, in bytes: 64 GiB. */
    public static final long DEFAULT_RESERVATION_LIMIT_BYTES = 64L << 30;

    /** The defaults described in the class comment. */
    public static final MemoryOptions DEFAULT = new MemoryOptions(null, DEFAULT_GUARD_BEFORE_BYTES,
            DEFAULT_GUARD_AFTER_BYTES, DEFAULT_RESERVATION_LIMIT_BYTES);

    private static final long UNIT_BYTES = 64 << 10;

    /**
     * Checks the options.
     *
     * @throws IllegalArgumentException if a guard is negative or not a multiple of 65536, or
     *     {@code reservationLimitBytes} is not a positive multiple of 65536; the message names the field
     */
    public MemoryOptions {
        String options = "MemoryOptions(strategy=" + strategy + ", guardBeforeBytes=" + guardBeforeBytes
                + ", guardAfterBytes=" + guardAfterBytes + ", reservationLimitBytes=" + reservationLimitBytes + ")";
        if (guardBeforeBytes < 0 || guardBeforeBytes % UNIT_BYTES != 0) {
            throw new IllegalArgumentException(options + ": guardBeforeBytes must be a non-negative multiple of 65536");
        }
        if (guardAfterBytes < 0 || guardAfterBytes % UNIT_BYTES != 0) {
            throw new IllegalArgumentException(options + ": guardAfterBytes must be a non-negative multiple of 65536");
        }
        if (reservationLimitBytes <= 0 || reservationLimitBytes % UNIT_BYTES != 0) {
            throw new IllegalArgumentException(options
                    + ": reservationLimitBytes must be a positive multiple of 65536");
        }
    }

    /**
     * {@return these options with another strategy}
     *
     * @param newStrategy the strategy; not null
     * @throws NullPointerException if {@code newStrategy} is null
     */
    public MemoryOptions withStrategy(ReservationStrategy newStrategy) {
        Objects.requireNonNull(newStrategy, "withStrategy(newStrategy=null): the strategy must not be null");
        return new MemoryOptions(newStrategy, guardBeforeBytes, guardAfterBytes, reservationLimitBytes);
    }

    /**
     * {@return these options with other guard regions}
     *
     * @param beforeBytes the guard before the base, in bytes; a non-negative multiple of 65536
     * @param afterBytes the guard after the reservation, in bytes; a non-negative multiple of 65536
     * @throws IllegalArgumentException as the {@linkplain #MemoryOptions canonical constructor}
     */
    public MemoryOptions withGuardBytes(long beforeBytes, long afterBytes) {
        return new MemoryOptions(strategy, beforeBytes, afterBytes, reservationLimitBytes);
    }

    /**
     * {@return these options with another reservation limit}
     *
     * @param limitBytes the limit, in bytes; a positive multiple of 65536
     * @throws IllegalArgumentException as the {@linkplain #MemoryOptions canonical constructor}
     */
    public MemoryOptions withReservationLimitBytes(long limitBytes) {
        return new MemoryOptions(strategy, guardBeforeBytes, guardAfterBytes, limitBytes);
    }

    /**
     * {@return the strategy used for {@code indexType}}: the one set, or the default for it
     *
     * @param indexType the memory's index type
     */
    public ReservationStrategy strategyFor(IndexType indexType) {
        if (indexType == IndexType.I64) {
            return ReservationStrategy.MAXIMUM; // no 64-bit index space fits any address space
        }
        return strategy == null ? ReservationStrategy.INDEX_SPACE : strategy;
    }

    /**
     * {@return the bytes a memory of {@code type} reserves, guards excluded}: a multiple of the page size,
     * at least one page and at least the minimum
     *
     * @param type the memory's type
     */
    public long reservedBytesFor(MemoryType type) {
        long bytes = strategyFor(type.indexType()) == ReservationStrategy.INDEX_SPACE
                ? 1L << 32
                : Math.min(type.maximumBytes(), reservationLimitBytes);
        bytes = Math.max(bytes, type.minimumBytes());
        return Math.max(bytes, type.pageBytes()); // (memory 0 0) still reserves one page: a region holds one
    }
}
