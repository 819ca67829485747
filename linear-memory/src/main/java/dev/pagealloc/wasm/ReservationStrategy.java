package dev.pagealloc.wasm;

/**
 * How much address space a memory of its own reserves. Growth commits pages in place either way: the
 * base address never moves, so a view taken before a grow stays valid.
 */
public enum ReservationStrategy {
    /**
     * Reserve the whole 32-bit index space (4 GiB) plus the guard regions, whatever the declared maximum.
     * Every 32-bit address plus an offset up to the guard size lands in the reservation, so generated code
     * could drop its bounds checks and rely on the guard pages faulting. It costs address space only: the
     * reservation is inaccessible and, on Linux, {@code MAP_NORESERVE}, charged to no memory accounting.
     * The default for {@link IndexType#I32}. A 64-bit memory has no such bound and falls back to
     * {@link #MAXIMUM}.
     */
    INDEX_SPACE,
    /**
     * Reserve only the declared maximum (or {@link MemoryOptions#reservationLimitBytes()} for a type
     * without one, or a larger one), plus the guard regions: less address space, so more memories fit in
     * a process, but code must check bounds. The default for {@link IndexType#I64}.
     */
    MAXIMUM
}
