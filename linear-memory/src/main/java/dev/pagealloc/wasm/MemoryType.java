package dev.pagealloc.wasm;

/**
 * A memory's type, as WebAssembly declares it: limits in pages, the page size, the index type, and
 * whether it is shared.
 *
 * <p>SKELETON (owned by the storage part): validation and factories to be written.
 *
 * @param indexType 32- or 64-bit addresses
 * @param pageBytes the page size, in bytes: 65536, or 1 (custom-page-sizes proposal)
 * @param minimumPages the initial size, in pages
 * @param maximumPages the maximum size, in pages; -1 when the type declares none
 * @param shared whether the memory is shared between threads (atomics, wait/notify)
 */
public record MemoryType(IndexType indexType, long pageBytes, long minimumPages, long maximumPages, boolean shared) {

    /** WebAssembly's default page size, in bytes. */
    public static final long WASM_PAGE_BYTES = 65536;
}
