package dev.pagealloc.api;

/**
 * Advice about how committed pages will be used, given through {@link Region#advise}. Advice never
 * changes a page's protection or a view's bounds; what it may do to contents is said per value.
 * Which values a platform takes is answered by {@code PageAllocator.features()} and, per value, by the
 * refusal {@link Region#advise} throws.
 *
 * <p>Immutable and thread-safe.
 */
public enum Advice {
    /**
     * The pages will be read soon: start bringing them in. Contents are kept. Linux and macOS
     * {@code madvise(MADV_WILLNEED)}; the embedded buffer is always resident, so it does nothing there.
     */
    WILL_NEED,
    /**
     * The contents are no longer needed: the memory may go back to the system now. Afterwards each
     * page reads either its old bytes or zero (never another owner's data) until written. Linux
     * {@code madvise(MADV_DONTNEED)} (zero at once), macOS {@code madvise(MADV_FREE_REUSABLE)} (the
     * pages leave the footprint; old bytes may remain), Windows {@code DiscardVirtualMemory} (read-write
     * pages only).
     */
    DONT_NEED,
    /**
     * Pages given back with {@link #DONT_NEED} are taken into use again. macOS
     * {@code madvise(MADV_FREE_REUSE)}, which puts them back in the footprint; elsewhere nothing needs
     * to happen, and the call does nothing.
     */
    REUSE,
    /** Leave the pages out of core dumps (Linux {@code madvise(MADV_DONTDUMP)}, {@code dd} in smaps). */
    DONT_DUMP,
    /** Put the pages back into core dumps (Linux {@code madvise(MADV_DODUMP)}). */
    DO_DUMP,
    /**
     * Back the pages with transparent huge pages where possible (Linux {@code madvise(MADV_HUGEPAGE)},
     * {@code hg} in smaps). Contents are kept.
     */
    HUGE_PAGES,
    /** Never back the pages with transparent huge pages (Linux {@code madvise(MADV_NOHUGEPAGE)}, {@code nh}). */
    NO_HUGE_PAGES,
    /**
     * The contents may be dropped whenever the system needs memory, without being written anywhere;
     * until then each page keeps its bytes. Afterwards each page reads its old bytes or zero (never
     * another owner's data). A page written after the advice keeps what was written: the write takes it
     * back. For caches that can be recomputed. Linux {@code madvise(MADV_FREE)} (smaps {@code LazyFree}
     * counts the pages until they are written or reclaimed; madvise(2)); macOS {@code madvise(MADV_FREE)},
     * which XNU turns into {@code vm_map_msync(VM_SYNC_KILLPAGES)}: the pages' modified bits are cleared,
     * so the pageout daemon frees them without writing them, unless they are written again
     * ({@code vm_map_behavior_set} in {@code osfmk/vm/vm_map.c}). Purgeable objects ({@code VM_FLAGS_PURGABLE},
     * the {@code PurgeableMemory} feature) are whole allocations made purgeable when mapped, so a range of
     * a region cannot be one. Refused for locked regions (Linux refuses {@code MADV_FREE} on
     * {@code VM_LOCKED} mappings, {@code mm/madvise.c}; locked pages must stay), on Windows, whose
     * {@code OfferVirtualMemory} makes the pages inaccessible until {@code ReclaimVirtualMemory} (a view
     * reading them would fault). The embedded buffer keeps the bytes (nothing reclaims it).
     */
    PURGEABLE,
    /**
     * The pages will be read in order: read ahead aggressively, and free pages soon after they are read
     * (Linux {@code madvise(MADV_SEQUENTIAL)}, {@code sr} in smaps; macOS {@code MADV_SEQUENTIAL}, the
     * map entry's {@code VM_BEHAVIOR_SEQUENTIAL}). Contents are kept. Matters for pages that come from
     * swap or a file. Refused on Windows, which has no access-pattern advice for {@code VirtualAlloc}
     * memory; the embedded buffer reads nothing from anywhere and does nothing.
     */
    SEQUENTIAL,
    /**
     * The pages will be read in no order: do not read ahead (Linux {@code madvise(MADV_RANDOM)}, {@code rr}
     * in smaps; macOS {@code MADV_RANDOM}, {@code VM_BEHAVIOR_RANDOM}). Contents are kept. Refused on
     * Windows, as {@link #SEQUENTIAL} is.
     */
    RANDOM,
    /**
     * Undo {@link #SEQUENTIAL} and {@link #RANDOM}: the default read-ahead (Linux and macOS
     * {@code madvise(MADV_NORMAL)}). Contents are kept. Windows and the embedded buffer have nothing to
     * undo and do nothing.
     */
    NORMAL
}
