package dev.pagealloc.macos;

import dev.pagealloc.api.Advice;
import dev.pagealloc.spi.PageAdvice;
import dev.pagealloc.spi.SystemCallException;
import java.util.Optional;

/**
 * {@link PageAdvice} on macOS: {@code madvise} as XNU knows it ({@code bsd/sys/mman.h} lists advice 0
 * to 11). {@code DONT_NEED} is {@code MADV_FREE_REUSABLE} ({@link MacVirtualMemory#markReusable}: the
 * pages leave the footprint at once, their bytes stay until the kernel reclaims them; XNU's
 * {@code MADV_DONTNEED} is only a hint that keeps them counted), {@code REUSE} is {@code MADV_FREE_REUSE}.
 * {@code PURGEABLE} is {@code MADV_FREE}: {@code vm_map_behavior_set} ({@code osfmk/vm/vm_map.c}) carries it
 * out as {@code vm_map_msync(VM_SYNC_KILLPAGES | VM_SYNC_CONTIGUOUS)}, which clears each page's modified bit
 * so that the pageout daemon frees it unwritten, unless it is written again. The {@code VM_PURGABLE} path
 * ({@link MacPurgeableMemory}) is not used for regions: {@code vm_purgable_control} changes the state of a
 * whole purgeable object, made purgeable when it was mapped ({@code VM_FLAGS_PURGABLE}), and answers
 * {@code KERN_INVALID_ARGUMENT} for any other ({@code vm_map_purgable_control}). {@code SEQUENTIAL},
 * {@code RANDOM} and {@code NORMAL} set the map entries' behaviour ({@code VM_BEHAVIOR_SEQUENTIAL},
 * {@code _RANDOM}, {@code _DEFAULT}), which steers read-ahead from the pager.
 * Run only against the simulated kernel here.
 *
 * <p>Stateless apart from the primitives: thread-safe.
 */
final class MacPageAdvice implements PageAdvice {
    private final MacVirtualMemory memory;

    MacPageAdvice(MacVirtualMemory memory) {
        this.memory = memory;
    }

    @Override
    public String describe() {
        return "madvise(MADV_WILLNEED, MADV_FREE_REUSABLE, MADV_FREE_REUSE, MADV_FREE, MADV_SEQUENTIAL, MADV_RANDOM,"
                + " MADV_NORMAL)";
    }

    @Override
    public Optional<String> unsupported(Advice advice) {
        return switch (advice) {
            case WILL_NEED, DONT_NEED, REUSE, PURGEABLE, SEQUENTIAL, RANDOM, NORMAL -> Optional.empty();
            case DONT_DUMP, DO_DUMP -> Optional.of("XNU's madvise has no MADV_DONTDUMP or MADV_DODUMP"
                    + " (bsd/sys/mman.h); a core file takes every mapping");
            case HUGE_PAGES, NO_HUGE_PAGES -> Optional.of("macOS has no transparent huge pages: superpages are"
                    + " chosen when memory is mapped (VM_FLAGS_SUPERPAGE_SIZE_2MB, Intel only), not advised");
        };
    }

    @Override
    public void advise(long address, long byteSize, Advice advice) throws SystemCallException {
        requireSupported(advice);
        switch (advice) {
            case WILL_NEED -> memory.madvise(address, byteSize, MachAbi.MADV_WILLNEED, "MADV_WILLNEED");
            case DONT_NEED -> memory.markReusable(address, byteSize);
            case REUSE -> memory.markReused(address, byteSize);
            case PURGEABLE -> memory.madvise(address, byteSize, MachAbi.MADV_FREE, "MADV_FREE");
            case SEQUENTIAL -> memory.madvise(address, byteSize, MachAbi.MADV_SEQUENTIAL, "MADV_SEQUENTIAL");
            case RANDOM -> memory.madvise(address, byteSize, MachAbi.MADV_RANDOM, "MADV_RANDOM");
            case NORMAL -> memory.madvise(address, byteSize, MachAbi.MADV_NORMAL, "MADV_NORMAL");
            default -> throw new AssertionError(advice);
        }
    }
}
