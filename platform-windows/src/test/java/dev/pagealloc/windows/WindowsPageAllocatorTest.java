package dev.pagealloc.windows;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PageAllocatorBuilder;
import dev.pagealloc.testkit.KernelView;
import dev.pagealloc.testkit.PageAllocatorContract;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The conformance suite on the real Windows memory manager, judged by {@code VirtualQuery}. Runs
 * only on Windows (the CI's windows runner).
 */
@EnabledOnOs(OS.WINDOWS)
class WindowsPageAllocatorTest extends PageAllocatorContract {
    @Override
    protected PageAllocatorBuilder builder() {
        return PageAllocator.builder().withPlatform("windows");
    }

    @Override
    protected KernelView kernelView() {
        return new VirtualQueryKernelView(FfmWin32Kernel.INSTANCE);
    }

    @Override
    protected long mappingCountSlack() {
        return 64;
    }
}
