package dev.pagealloc.windows;

import dev.pagealloc.api.Advice;
import dev.pagealloc.spi.PageAdvice;
import dev.pagealloc.spi.SystemCallException;
import java.util.Optional;

/**
 * {@link PageAdvice} on Windows: {@code DONT_NEED} is {@code DiscardVirtualMemory}
 * ({@link WindowsVirtualMemory#discardContents}: read-write pages only, contents undefined after);
 * {@code REUSE} needs no call (discarded pages are used by writing them). The rest is refused with the
 * reason: Windows has no per-range core dump, huge page or read-ahead advice that pagealloc binds.
 *
 * <p>Stateless apart from the primitives: thread-safe.
 */
final class WindowsPageAdvice implements PageAdvice {
    private final WindowsVirtualMemory memory;

    WindowsPageAdvice(WindowsVirtualMemory memory) {
        this.memory = memory;
    }

    @Override
    public String describe() {
        return "DiscardVirtualMemory (or VirtualAlloc(MEM_RESET)) for DONT_NEED";
    }

    @Override
    public Optional<String> unsupported(Advice advice) {
        return switch (advice) {
            case DONT_NEED, REUSE -> Optional.empty();
            case WILL_NEED -> Optional.of("PrefetchVirtualMemory is the Windows call and is not bound yet");
            case DONT_DUMP, DO_DUMP -> Optional.of("Windows has no per-range core dump flag for VirtualAlloc memory"
                    + " (WerRegisterExcludedMemoryBlock covers error reports only)");
            case HUGE_PAGES, NO_HUGE_PAGES -> Optional.of("Windows large pages are chosen when memory is committed"
                    + " (MEM_LARGE_PAGES), never advised");
        };
    }

    @Override
    public void advise(long address, long byteSize, Advice advice) throws SystemCallException {
        requireSupported(advice);
        if (advice == Advice.DONT_NEED) {
            memory.discardContents(address, byteSize);
        }
    }
}
