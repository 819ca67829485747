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
import dev.pagealloc.testkit.sim.SimulatedWin32;

/**
 * The conformance suite on {@link WindowsVirtualMemory} over a simulated Win32 memory manager
 * (4 KiB pages, 64 KiB granularity, two NUMA nodes, 2 MiB large pages, the lock-memory privilege
 * held): the same logic that runs on Windows, judged by the simulation's page table.
 */
class WindowsPageAllocatorSimulatedTest implements RegionLifecycleContract, ViewContract, AccountingContract,
        BadInputContract, ConcurrencyContract, OptionsContract, RandomOperationsContract {
    static final SimulatedWin32 SIM = new SimulatedWin32(256L << 20, 2L << 20, 1, true);
    static final SimulatedWin32Kernel KERNEL = new SimulatedWin32Kernel(SIM);

    @Override
    public PageAllocatorBuilder builder() {
        return PageAllocator.builder().withProvider(KERNEL.provider());
    }

    @Override
    public KernelView kernelView() {
        return SIM.addressSpace().kernelView();
    }
}
