package dev.pagealloc.api;

import java.util.List;

/**
 * The options a region really got. Without best effort they equal what was asked; with it, each
 * option the platform could not honour is downgraded and the reason is listed in {@code downgrades}.
 *
 * @param hugePages the huge pages backing the region
 * @param numaPolicy the NUMA policy applied to the reservation
 * @param populated whether committed pages were prefaulted
 * @param locked whether committed pages are locked in memory
 * @param memoryTagging the tagging in force
 * @param downgrades one line per option downgraded, {@code option -> applied: reason}, e.g.
 *     {@code hugePages=explicit(2 MiB) -> transparent: the pool of 2 MiB pages (0 of 0 free when
 *     probed) cannot supply the 3 pages needed: mmap(0x7f3a00000000, 6291456, PROT_READ|PROT_WRITE,
 *     MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS|MAP_HUGETLB|21<<MAP_HUGE_SHIFT, -1, 0) -> ENOMEM (12):
 *     Cannot allocate memory} or {@code lock=true -> false: platform embedded cannot lock pages in
 *     memory}; empty when everything asked was applied
 */
public record AppliedOptions(
        HugePages hugePages,
        NumaPolicy numaPolicy,
        boolean populated,
        boolean locked,
        MemoryTagging memoryTagging,
        List<String> downgrades) {

    /** Copies the list. */
    public AppliedOptions {
        downgrades = List.copyOf(downgrades);
    }
}
