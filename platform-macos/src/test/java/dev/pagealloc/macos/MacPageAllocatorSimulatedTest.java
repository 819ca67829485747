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
import dev.pagealloc.testkit.sim.SimulatedMach;

/**
 * The conformance suite on {@link MacVirtualMemory} over a simulated Apple silicon kernel (16 KiB
 * pages): the same logic that runs on macOS, judged by the simulation's page table.
 */
class MacPageAllocatorSimulatedTest implements RegionLifecycleContract, ViewContract, AccountingContract,
        BadInputContract, ConcurrencyContract, OptionsContract, RandomOperationsContract {
    static final SimulatedMach SIM = SimulatedMach.arm64(256L << 20);
    static final SimulatedMachKernel KERNEL = new SimulatedMachKernel(SIM);

    @Override
    public PageAllocatorBuilder builder() {
        return PageAllocator.builder().withProvider(KERNEL.provider());
    }

    @Override
    public KernelView kernelView() {
        return SIM.addressSpace().kernelView();
    }
}
