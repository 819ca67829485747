package dev.pagealloc.platform.support;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Prefaulting by touch, for the platforms (and kernels) without a prefault call: macOS, Windows, and
 * Linux before 5.14 ({@code MADV_POPULATE_WRITE}). Written once, with one safety argument.
 *
 * <p>Stateless and thread-safe.
 */
public final class PageTouch {
    private PageTouch() {}

    /** Made on the first touch, not when a backend loads (it costs the first {@code build()}). */
    private static final class Handles {
        static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    }

    /**
     * Makes the kernel back every page of {@code [address, address + byteSize)} now, by an atomic add of
     * zero to the first four bytes of each page: a write, so the page is faulted in writable (and dirty),
     * that changes no byte even if another thread writes the same bytes at the same moment.
     *
     * <p><b>Restricted</b> in effect: it writes through a raw address. Callers are backends, on pages the
     * shared layer has just committed read-write for a live region.
     *
     * @param address the first address, aligned to {@code pageBytes}
     * @param byteSize the size, in bytes, a multiple of {@code pageBytes}
     * @param pageBytes the page size, in bytes
     */
    @SuppressWarnings("restricted") // the address is a committed read-write range the backend owns
    public static void populate(long address, long byteSize, long pageBytes) {
        // SAFETY: the caller passes only pages just committed read-write inside a live reservation of its
        // own; an atomic add of zero never changes their contents, so a view a racing thread already holds
        // (over earlier pages, or these once published) reads and writes as if nothing happened.
        MemorySegment pages = MemorySegment.ofAddress(address).reinterpret(byteSize);
        for (long offset = 0; offset < byteSize; offset += pageBytes) {
            Handles.INT.getAndAdd(pages, offset, 0);
        }
    }
}
