package dev.pagealloc.windows;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PageAllocatorBuilder;
import dev.pagealloc.testkit.AccountingContract;
import dev.pagealloc.testkit.BadInputContract;
import dev.pagealloc.testkit.ConcurrencyContract;
import dev.pagealloc.testkit.KernelView;
import dev.pagealloc.testkit.OptionsContract;
import dev.pagealloc.testkit.RandomOperationsContract;
import dev.pagealloc.testkit.RegionLifecycleContract;
import dev.pagealloc.testkit.ViewContract;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The conformance suite on the real Windows memory manager, judged by {@code VirtualQuery}. Runs
 * only on Windows (the CI's windows runner).
 */
@EnabledOnOs(OS.WINDOWS)
class WindowsPageAllocatorTest implements RegionLifecycleContract, ViewContract, AccountingContract,
        BadInputContract, ConcurrencyContract, OptionsContract, RandomOperationsContract {
    @Override
    public PageAllocatorBuilder builder() {
        return PageAllocator.builder().withPlatform("windows");
    }

    @Override
    public KernelView kernelView() {
        return new VirtualQueryKernelView(FfmWin32Kernel.INSTANCE);
    }

    @Override
    public long mappingCountSlack() {
        return 64;
    }
}
