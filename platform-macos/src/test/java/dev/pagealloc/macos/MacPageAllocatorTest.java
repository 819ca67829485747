package dev.pagealloc.macos;

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
 * The conformance suite on the real macOS kernel, judged by the task's own VM map
 * ({@code mach_vm_region}). Runs only on macOS (the CI's macos runner).
 */
@EnabledOnOs(OS.MAC)
class MacPageAllocatorTest implements RegionLifecycleContract, ViewContract, AccountingContract,
        BadInputContract, ConcurrencyContract, OptionsContract, RandomOperationsContract {
    @Override
    public PageAllocatorBuilder builder() {
        return PageAllocator.builder().withPlatform("macos");
    }

    @Override
    public KernelView kernelView() {
        return new MachKernelView(FfmMachKernel.INSTANCE);
    }

    @Override
    public long mappingCountSlack() {
        return 64;
    }
}
