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
        return "madvise(MADV_WILLNEED, MADV_FREE_REUSABLE, MADV_FREE_REUSE)";
    }

    @Override
    public Optional<String> unsupported(Advice advice) {
        return switch (advice) {
            case WILL_NEED, DONT_NEED, REUSE -> Optional.empty();
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
            default -> throw new AssertionError(advice);
        }
    }
}
