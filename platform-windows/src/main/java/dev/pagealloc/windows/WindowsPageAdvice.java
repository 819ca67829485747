package dev.pagealloc.windows;

import dev.pagealloc.api.Advice;
import dev.pagealloc.spi.PageAdvice;
import dev.pagealloc.spi.SystemCallException;
import java.util.Optional;

/**
 * {@link PageAdvice} on Windows: {@code DONT_NEED} is {@code DiscardVirtualMemory}
 * ({@link WindowsVirtualMemory#discardContents}: read-write pages only, contents undefined after);
 * {@code REUSE} needs no call (discarded pages are used by writing them), nor {@code NORMAL} (there is no
 * read-ahead advice to undo). The rest is refused with the reason: Windows has no per-range core dump, huge
 * page or access-pattern advice, and {@code OfferVirtualMemory} (the purgeable counterpart) makes pages
 * inaccessible, which a Java view must never meet.
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
            case DONT_NEED, REUSE, NORMAL -> Optional.empty();
            case PURGEABLE -> Optional.of("OfferVirtualMemory, the Windows call, marks the pages inaccessible until"
                    + " ReclaimVirtualMemory (memoryapi.h, OfferVirtualMemory: \"The specified pages will be marked as"
                    + " inaccessible, removed from the process working set\"), so a view reading them would fault and"
                    + " end the JVM; DONT_NEED (DiscardVirtualMemory) keeps them accessible");
            case SEQUENTIAL, RANDOM -> Optional.of("Windows has no access-pattern advice for VirtualAlloc memory:"
                    + " FILE_FLAG_SEQUENTIAL_SCAN and FILE_FLAG_RANDOM_ACCESS are CreateFile flags for the file cache,"
                    + " and PrefetchVirtualMemory is a one-time read (WILL_NEED)");
            case WILL_NEED -> Optional.of("PrefetchVirtualMemory (memoryapi.h, Windows 8 and later) is the Windows call"
                    + " and is not bound yet");
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
