package dev.pagealloc.api;

/**
 * Which pages back a region: the system's base pages, transparent huge pages the kernel may
 * assemble, or explicit huge pages of one size taken from a reserved pool.
 *
 * <p>Immutable and thread-safe.
 */
public sealed interface HugePages {

    /** Two MiB, the x86-64 and arm64 (4 KiB granule) PMD size, in bytes. */
    long SIZE_2_MIB = 2L << 20;

    /** One GiB, the x86-64 and arm64 (4 KiB granule) PUD size, in bytes. */
    long SIZE_1_GIB = 1L << 30;

    /** {@return base pages only; on Linux the region is also advised {@code MADV_NOHUGEPAGE}} */
    static HugePages none() {
        return None.INSTANCE;
    }

    /** {@return the platform default: no advice either way} */
    static HugePages systemDefault() {
        return SystemDefault.INSTANCE;
    }

    /** {@return transparent huge pages: the kernel may back aligned 2 MiB ranges with huge pages} */
    static HugePages transparent() {
        return Transparent.INSTANCE;
    }

    /**
     * {@return explicit huge pages of {@code pageBytes} each}, taken from the platform's pool
     *
     * @param pageBytes the huge page size, in bytes; a power of two
     * @throws IllegalArgumentException if {@code pageBytes} is not a positive power of two
     */
    static HugePages explicit(long pageBytes) {
        return new Explicit(pageBytes);
    }

    /** Base pages, with transparent huge pages advised off. */
    enum None implements HugePages {
        /** The only value. */
        INSTANCE;

        @Override
        public String toString() {
            return "none";
        }
    }

    /** Whatever the platform does by default (on Linux, the THP mode in sysfs decides). */
    enum SystemDefault implements HugePages {
        /** The only value. */
        INSTANCE;

        @Override
        public String toString() {
            return "default";
        }
    }

    /** Transparent huge pages ({@code MADV_HUGEPAGE} on Linux). */
    enum Transparent implements HugePages {
        /** The only value. */
        INSTANCE;

        @Override
        public String toString() {
            return "transparent";
        }
    }

    /**
     * Explicit huge pages of one size ({@code MAP_HUGETLB} on Linux, {@code MEM_LARGE_PAGES} on
     * Windows, superpages on macOS). Region sizes and protect ranges are multiples of it.
     *
     * @param pageBytes the huge page size, in bytes; a positive power of two
     */
    record Explicit(long pageBytes) implements HugePages {
        /**
         * Checks the size.
         *
         * @throws IllegalArgumentException if {@code pageBytes} is not a positive power of two
         */
        public Explicit {
            if (pageBytes <= 0 || Long.bitCount(pageBytes) != 1) {
                throw new IllegalArgumentException(
                        "HugePages.explicit(pageBytes=" + pageBytes + "): not a positive power of two");
            }
        }

        @Override
        public String toString() {
            return "explicit(" + Units.bytes(pageBytes) + ")";
        }
    }
}
