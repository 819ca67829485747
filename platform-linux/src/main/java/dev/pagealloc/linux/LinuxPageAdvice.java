package dev.pagealloc.linux;

import dev.pagealloc.api.Advice;
import dev.pagealloc.spi.PageAdvice;
import dev.pagealloc.spi.SystemCallException;
import java.util.Optional;

/**
 * {@link PageAdvice} on Linux: {@code madvise} (madvise(2)). The flags a range carries show in
 * {@code /proc/self/smaps} {@code VmFlags} ({@code dd} for {@code MADV_DONTDUMP}, {@code hg} for
 * {@code MADV_HUGEPAGE}, {@code nh} for {@code MADV_NOHUGEPAGE}, {@code sr} for {@code MADV_SEQUENTIAL},
 * {@code rr} for {@code MADV_RANDOM}; proc(5)), and pages given {@code MADV_FREE} count as {@code LazyFree}
 * until written or reclaimed (proc(5); madvise(2): "the free operation will be canceled if the caller
 * writes into the page"). {@code DONT_NEED} goes through the same path as discard, so locked pages take
 * {@code MADV_DONTNEED_LOCKED}.
 *
 * <p>Stateless apart from the kernel: thread-safe.
 */
final class LinuxPageAdvice implements PageAdvice {
    private final LinuxVirtualMemory memory;

    LinuxPageAdvice(LinuxVirtualMemory memory) {
        this.memory = memory;
    }

    @Override
    public String describe() {
        return "madvise(MADV_WILLNEED, MADV_DONTNEED, MADV_DONTDUMP, MADV_DODUMP, MADV_HUGEPAGE, MADV_NOHUGEPAGE,"
                + " MADV_FREE, MADV_SEQUENTIAL, MADV_RANDOM, MADV_NORMAL)";
    }

    @Override
    public Optional<String> unsupported(Advice advice) {
        return Optional.empty();
    }

    @Override
    public void advise(long address, long byteSize, Advice advice) throws SystemCallException {
        int madvice = switch (advice) {
            case WILL_NEED -> LinuxAbi.MADV_WILLNEED;
            case DONT_NEED -> LinuxAbi.MADV_DONTNEED;
            // Pages dropped by MADV_DONTNEED fault back in as zero pages on first touch: nothing to do.
            case REUSE -> -1;
            case DONT_DUMP -> LinuxAbi.MADV_DONTDUMP;
            case DO_DUMP -> LinuxAbi.MADV_DODUMP;
            case HUGE_PAGES -> LinuxAbi.MADV_HUGEPAGE;
            case NO_HUGE_PAGES -> LinuxAbi.MADV_NOHUGEPAGE;
            case PURGEABLE -> LinuxAbi.MADV_FREE;
            case SEQUENTIAL -> LinuxAbi.MADV_SEQUENTIAL;
            case RANDOM -> LinuxAbi.MADV_RANDOM;
            case NORMAL -> LinuxAbi.MADV_NORMAL;
        };
        if (madvice == LinuxAbi.MADV_DONTNEED) {
            memory.dontNeed(address, byteSize);
        } else if (madvice >= 0 && memory.kernel().madvise(address, byteSize, madvice) != 0) {
            throw memory.failure(LinuxVirtualMemory.adviseCall(address, byteSize, madvice));
        }
    }
}
