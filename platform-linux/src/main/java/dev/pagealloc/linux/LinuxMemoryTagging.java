package dev.pagealloc.linux;

import static dev.pagealloc.linux.LinuxAbi.PROT_MTE;
import static dev.pagealloc.linux.LinuxAbi.PROT_READ;
import static dev.pagealloc.linux.LinuxAbi.PROT_WRITE;
import static dev.pagealloc.linux.LinuxAbi.PR_MTE_TAG_SHIFT;
import static dev.pagealloc.linux.LinuxAbi.PR_MTE_TCF_ASYNC;
import static dev.pagealloc.linux.LinuxAbi.PR_MTE_TCF_NONE;
import static dev.pagealloc.linux.LinuxAbi.PR_MTE_TCF_SYNC;
import static dev.pagealloc.linux.LinuxAbi.PR_SET_TAGGED_ADDR_CTRL;
import static dev.pagealloc.linux.LinuxAbi.PR_TAGGED_ADDR_ENABLE;

import dev.pagealloc.api.MemoryTagging;
import dev.pagealloc.api.Units;
import dev.pagealloc.spi.Backing;
import dev.pagealloc.spi.HardwareMemoryTagging;
import dev.pagealloc.spi.SystemCallException;

/**
 * ARM MTE on Linux arm64 (Documentation/arch/arm64/memory-tagging-extension.rst): {@code PROT_MTE} on
 * anonymous mappings, and the calling thread's tag check mode and include mask through
 * {@code prctl(PR_SET_TAGGED_ADDR_CTRL, PR_TAGGED_ADDR_ENABLE | PR_MTE_TCF_* | (mask << PR_MTE_TAG_SHIFT), 0, 0, 0)}.
 * Built and tested against the testkit's simulated kernel only: it has not run on MTE hardware.
 *
 * <p>Kernel rules it relies on: the tag check mode is per thread (a thread that never asks checks nothing,
 * so Java threads reading views of tagged pages with untagged addresses do not fault); {@code PROT_MTE} is
 * refused ({@code EINVAL}) where the CPU has no MTE ({@code arch_validate_prot}) and on mappings that are
 * not anonymous or shmem ({@code arch_validate_flags}); once set, {@code VM_MTE} survives an
 * {@code mprotect} without {@code PROT_MTE} ({@code mm/mprotect.c} clears only {@code VM_ACCESS_FLAGS |
 * VM_FLAGS_CLEAR}, and arm64's {@code VM_ARCH_CLEAR} is the BTI bit, {@code include/linux/mm.h}); tags of
 * fresh anonymous pages read 0, and {@code MADV_DONTNEED} drops pages with their tags, so discarded
 * memory reads tag 0 and must be tagged again; {@code PR_MTE_TCF_SYNC | PR_MTE_TCF_ASYNC} together let
 * the kernel pick each CPU's preferred mode, asymmetric where it has {@code FEAT_MTE3} (Linux 5.18).
 *
 * <p>Immutable: thread-safe.
 */
final class LinuxMemoryTagging implements HardwareMemoryTagging {
    private final LinuxKernel kernel;

    LinuxMemoryTagging(LinuxKernel kernel) {
        this.kernel = kernel;
    }

    /**
     * {@return the {@code prctl(PR_SET_TAGGED_ADDR_CTRL)} argument for {@code tagging}}
     *
     * @param tagging the mode and include mask
     */
    static long taggedAddrCtrl(MemoryTagging tagging) {
        long checks = switch (tagging.mode()) {
            case NONE -> PR_MTE_TCF_NONE;
            case SYNC -> PR_MTE_TCF_SYNC;
            case ASYNC -> PR_MTE_TCF_ASYNC;
            case ASYMMETRIC -> PR_MTE_TCF_SYNC | PR_MTE_TCF_ASYNC;
        };
        return PR_TAGGED_ADDR_ENABLE | checks | (long) tagging.includeMask() << PR_MTE_TAG_SHIFT;
    }

    /**
     * {@return the protection a commit maps with}: read-write, plus {@code PROT_MTE} for hardware tagging
     *
     * @param backing the region's backing
     */
    static int commitProtection(Backing backing) {
        boolean hardware = backing.memoryTagging().policy() == MemoryTagging.TaggingPolicy.HARDWARE;
        return PROT_READ | PROT_WRITE | (hardware ? PROT_MTE : 0);
    }

    @Override
    public String describe() {
        return "mprotect(PROT_MTE) + prctl(PR_SET_TAGGED_ADDR_CTRL) per thread; not yet run on MTE hardware";
    }

    @Override
    public long tagGranuleBytes() {
        return 16;
    }

    @Override
    public void enableTags(long address, long byteSize) throws SystemCallException {
        if (kernel.mprotect(address, byteSize, PROT_READ | PROT_WRITE | PROT_MTE) != 0) {
            throw failure("mprotect(" + Units.hex(address) + ", " + byteSize + ", PROT_READ|PROT_WRITE|PROT_MTE)");
        }
    }

    @Override
    public void enableTagChecks(MemoryTagging tagging) throws SystemCallException {
        long control = taggedAddrCtrl(tagging);
        if (kernel.prctl(PR_SET_TAGGED_ADDR_CTRL, control, 0, 0, 0) != 0) {
            throw failure("prctl(PR_SET_TAGGED_ADDR_CTRL, 0x" + Long.toHexString(control) + ", 0, 0, 0)");
        }
    }

    private SystemCallException failure(String call) {
        int errno = kernel.errno();
        return new SystemCallException(call, errno, LinuxAbi.errnoName(errno), kernel.strerror(errno));
    }
}
