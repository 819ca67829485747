package dev.pagealloc.embedded;

import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.MemorySegment;

/**
 * The canary pattern kept in inaccessible pages (guards, the reserved tail, decommitted pages),
 * and the content hash kept for pages protected {@code NONE}, whose contents must survive.
 *
 * <p>The pattern differs at every offset of a page and never holds a zero byte, so a stray write of
 * zeros, of a constant or of a shifted copy of the pattern is caught. Stateless and thread-safe.
 */
final class Canaries {
    private Canaries() {}

    /** One page of the pattern. */
    private static final MemorySegment PAGE = pattern(EmbeddedVirtualMemory.PAGE_BYTES);

    private static MemorySegment pattern(long pageBytes) {
        byte[] bytes = new byte[(int) pageBytes];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (0x80 | ((i * 37 + (i >>> 7)) & 0x7F));
        }
        return MemorySegment.ofArray(bytes);
    }

    /** {@return the canary byte at {@code offsetInPage}} */
    static byte expected(long offsetInPage) {
        return PAGE.getAtIndex(java.lang.foreign.ValueLayout.JAVA_BYTE, offsetInPage);
    }

    /** Fills whole pages with the pattern. */
    static void fill(MemorySegment pages) {
        for (long offset = 0; offset < pages.byteSize(); offset += PAGE.byteSize()) {
            MemorySegment.copy(PAGE, 0, pages, offset, PAGE.byteSize());
        }
    }

    /** {@return the offset of the first byte of {@code page} that differs from the pattern, or -1} */
    static long firstChanged(MemorySegment page) {
        return MemorySegment.mismatch(page, 0, page.byteSize(), PAGE, 0, page.byteSize());
    }

    /** {@return a 64-bit hash of a page's contents, to notice writes to a page protected NONE} */
    static long hash(MemorySegment page) {
        long h = 0x9E3779B97F4A7C15L;
        for (long offset = 0; offset < page.byteSize(); offset += Long.BYTES) {
            h ^= page.get(JAVA_LONG_UNALIGNED, offset);
            h *= 0xBF58476D1CE4E5B9L;
            h ^= h >>> 31;
        }
        return h;
    }
}
