package dev.pagealloc.spi;

import dev.pagealloc.api.HugePages;
import dev.pagealloc.api.MemoryTagging;
import dev.pagealloc.api.NumaPolicy;
import java.util.Objects;

/**
 * How one region's pages are backed: decided once per region by the shared layer (after best-effort
 * downgrades) and passed to every primitive that maps pages, so a backend never re-decides it.
 *
 * @param hugePages the huge pages to use; {@link HugePages.Explicit} means every commit maps
 *     explicit huge pages and every range is a multiple of their size
 * @param numaPolicy the NUMA policy, applied by {@link VirtualMemory#reserve} before first touch
 * @param memoryTagging the tagging to enable on committed pages; a backend acts only on policy
 *     {@link MemoryTagging.TaggingPolicy#HARDWARE} ({@code SOFTWARE} tags live in pagealloc's shadow memory)
 */
public record Backing(HugePages hugePages, NumaPolicy numaPolicy, MemoryTagging memoryTagging) {

    /** Base pages, default NUMA policy, no tagging. */
    public static final Backing DEFAULT = new Backing(HugePages.systemDefault(), NumaPolicy.none(), MemoryTagging.NONE);

    /** Checks for nulls. */
    public Backing {
        Objects.requireNonNull(hugePages, "hugePages");
        Objects.requireNonNull(numaPolicy, "numaPolicy");
        Objects.requireNonNull(memoryTagging, "memoryTagging");
    }

    /** {@return the explicit huge page size, or 0 for base or transparent pages} */
    public long explicitHugePageBytes() {
        return hugePages instanceof HugePages.Explicit(long pageBytes) ? pageBytes : 0;
    }
}
