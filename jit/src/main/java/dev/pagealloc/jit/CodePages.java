package dev.pagealloc.jit;

/**
 * Pages that hold code, seen through the W^X strategy that backs them: where Java writes
 * ({@link #writableAddress()}), where the CPU executes ({@link #executableAddress()}), and the protection
 * changes (or none) that move a range between writing and running. Offsets and lengths are in bytes
 * from the first page; callers pass ranges aligned to {@link #alignmentBytes()} where protections change.
 *
 * <p>Thread-safe as the region or mapping beneath it; the callers serialize changes to one range.
 */
sealed interface CodePages permits FlipPages, DualPages {

    /** {@return the address Java writes code at; the same as the executable one for a protection flip} */
    long writableAddress();

    /** {@return the address code runs at} */
    long executableAddress();

    /** {@return the size, in bytes} */
    long byteSize();

    /**
     * {@return the smallest unit, in bytes, whose state can differ from its neighbours'}: the protection
     * granule for a flip (a page), 1 where nothing changes protection (dual mapping)
     */
    long alignmentBytes();

    /**
     * Lets Java write {@code [byteOffset, +byteLength)}: read-write for a flip; nothing for dual mapping,
     * whose writable view stays writable.
     *
     * @param byteOffset the first byte
     * @param byteLength the length, in bytes
     */
    void makeWritable(long byteOffset, long byteLength);

    /**
     * Lets the CPU run {@code [byteOffset, +byteLength)}: read-execute for a flip; nothing for dual
     * mapping; then the instruction cache is made to see what was written.
     *
     * @param byteOffset the first byte
     * @param byteLength the length, in bytes
     */
    void makeExecutable(long byteOffset, long byteLength);

    /**
     * Takes every access away from {@code [byteOffset, +byteLength)} where the strategy can (a flip);
     * dual-mapped bytes shared with live code stay as they are (the caller filled them with traps).
     *
     * @param byteOffset the first byte
     * @param byteLength the length, in bytes
     */
    void makeInaccessible(long byteOffset, long byteLength);

    /** Unmaps the pages; nothing may run in them any more. */
    void release();
}
