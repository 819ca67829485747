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
 * @param downgrades one line per option downgraded, e.g. {@code hugePages=explicit(2 MiB) -> none:
 *     pool has 0 free pages, 3 needed}; empty when everything asked was applied
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
