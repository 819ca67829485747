package dev.pagealloc.linux;

import dev.pagealloc.spi.ExecutableMemory;
import dev.pagealloc.spi.FeatureAnswer;
import dev.pagealloc.spi.HardwareMemoryTagging;
import dev.pagealloc.spi.MemoryImages;
import dev.pagealloc.spi.PageAdvice;
import dev.pagealloc.spi.PlatformFeature;
import dev.pagealloc.spi.PurgeableMemory;

/**
 * Linux's answers to {@link dev.pagealloc.spi.VirtualMemory#feature(Class)}, decided once per
 * {@link LinuxVirtualMemory}.
 *
 * <p>Immutable: thread-safe.
 */
final class LinuxFeatures {
    private final FeatureAnswer<ExecutableMemory> executable;
    private final FeatureAnswer<MemoryImages> images;
    private final FeatureAnswer<PageAdvice> advice;
    private final FeatureAnswer<HardwareMemoryTagging> tagging;

    /**
     * Decides the answers.
     *
     * @param memory the primitives the features share their kernel with
     * @param architecture {@code os.arch}
     */
    LinuxFeatures(LinuxVirtualMemory memory, String architecture) {
        LinuxKernel kernel = memory.kernel();
        this.executable = "aarch64".equals(architecture) && !clearCacheWorks(kernel)
                ? FeatureAnswer.absent(ExecutableMemory.class, "arm64 needs libgcc's __clear_cache for instruction"
                        + " cache maintenance, and libgcc_s.so.1 or the symbol is missing")
                : FeatureAnswer.of(ExecutableMemory.class,
                        new LinuxDualMapping(memory, "aarch64".equals(architecture)));
        this.images = FeatureAnswer.of(MemoryImages.class, new LinuxMemoryImages(memory));
        this.advice = FeatureAnswer.of(PageAdvice.class, new LinuxPageAdvice(memory));
        String noTagging = taggingReason(kernel, architecture);
        this.tagging = noTagging == null ? FeatureAnswer.of(HardwareMemoryTagging.class, new LinuxMemoryTagging(kernel))
                : FeatureAnswer.absent(HardwareMemoryTagging.class, noTagging);
    }

    /**
     * {@return why there is no MTE here, or null where the CPU has it}
     *
     * @param kernel the kernel to ask ({@code getauxval})
     * @param architecture {@code os.arch}
     */
    static String taggingReason(LinuxKernel kernel, String architecture) {
        if (!"aarch64".equals(architecture)) {
            return "no MTE on " + architecture + ": ARM MTE is an arm64 extension";
        }
        if ((kernel.getauxval(LinuxAbi.AT_HWCAP2) & LinuxAbi.HWCAP2_MTE) == 0) {
            return "no MTE on this CPU: getauxval(AT_HWCAP2) lacks HWCAP2_MTE (1 << 18)";
        }
        return null;
    }

    private static boolean clearCacheWorks(LinuxKernel kernel) {
        try {
            kernel.clearCache(0, 0);
            return true;
        } catch (UnsupportedOperationException missing) {
            return false;
        }
    }

    @SuppressWarnings("unchecked") // each branch returns the answer of the very type asked for
    <F extends PlatformFeature> FeatureAnswer<F> answer(Class<F> type) {
        if (type == ExecutableMemory.class) {
            return (FeatureAnswer<F>) executable;
        }
        if (type == MemoryImages.class) {
            return (FeatureAnswer<F>) images;
        }
        if (type == PageAdvice.class) {
            return (FeatureAnswer<F>) advice;
        }
        if (type == HardwareMemoryTagging.class) {
            return (FeatureAnswer<F>) tagging;
        }
        if (type == PurgeableMemory.class) {
            return FeatureAnswer.absent(type, "Linux has no purgeable allocations (macOS VM_FLAGS_PURGABLE);"
                    + " PageAdvice DONT_NEED gives pages back");
        }
        return FeatureAnswer.absent(type, "unknown feature " + type.getName());
    }
}
