package dev.pagealloc.spi;

/**
 * W^X executable memory by dual mapping: the same physical pages mapped twice, once read-write and
 * once read-execute, so code is written through one address and run through the other, and no single
 * mapping is ever writable and executable. Plus the instruction-cache maintenance code needs after it
 * is written.
 *
 * <p>Running machine code is inherently restricted: only callers with native access reach this
 * feature (see {@link PlatformFeature}).
 *
 * @implNote Linux: {@code memfd_create} and two {@code mmap(MAP_SHARED)} of the file, which
 *     {@code /proc/self/maps} shows as {@code rw-s} and {@code r-xs} mappings of one {@code memfd:}
 *     file. macOS: {@code mach_vm_remap} of ordinary read-write memory to a second, read-execute
 *     address. Windows: {@code CreateFileMapping(PAGE_EXECUTE_READWRITE)} and two
 *     {@code MapViewOfFileEx} views ({@code FILE_MAP_WRITE}, {@code FILE_MAP_READ|FILE_MAP_EXECUTE}).
 *     Instruction caches: x86-64 keeps them coherent with data writes (Intel SDM vol. 3, 11.6
 *     "Self-modifying code"), so flushing is a no-op there; arm64 needs, per cache line,
 *     {@code dc cvau; dsb ish; ic ivau; dsb ish; isb} (Arm ARM, "Concurrent modification and
 *     execution of instructions"), which Windows wraps as {@code FlushInstructionCache}, macOS as
 *     {@code sys_icache_invalidate}, and Linux user space reaches through libgcc's {@code __clear_cache}
 *     ({@code __builtin___clear_cache} is a compiler builtin with no symbol a JVM could call).
 * @implSpec Implementations are thread-safe.
 */
public non-sealed interface ExecutableMemory extends PlatformFeature {

    /**
     * Maps {@code byteSize} bytes of fresh zero pages twice.
     *
     * @param byteSize the size, in bytes; a positive multiple of the allocation granularity
     * @return both addresses; the caller unmaps them with {@link #unmap}
     * @throws SystemCallException if the OS refuses; nothing is left mapped
     */
    DualMapping map(long byteSize) throws SystemCallException;

    /**
     * Unmaps both views of a dual mapping made by {@link #map}.
     *
     * @param mapping the mapping
     * @throws SystemCallException if the OS refuses
     */
    void unmap(DualMapping mapping) throws SystemCallException;

    /**
     * Makes the instruction fetches of every thread see code just written at {@code [address, +byteSize)}.
     * Call it with the executable view's address after writing through the writable view, before the
     * code runs.
     *
     * @param address the first byte written, in the executable view
     * @param byteSize the length, in bytes
     */
    void flushInstructionCache(long address, long byteSize);

    /**
     * Two views of the same pages.
     *
     * @param writableAddress the read-write view
     * @param executableAddress the read-execute view
     * @param byteSize the size of each view, in bytes
     * @param handle the platform's handle of the shared pages (a Windows section handle), or 0
     */
    record DualMapping(long writableAddress, long executableAddress, long byteSize, long handle) {}
}
