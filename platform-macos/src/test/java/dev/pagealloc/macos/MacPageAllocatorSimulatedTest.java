package dev.pagealloc.macos;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PageAllocatorBuilder;
import dev.pagealloc.testkit.KernelView;
import dev.pagealloc.testkit.PageAllocatorContract;
import dev.pagealloc.testkit.sim.SimulatedMach;

/**
 * The conformance suite on {@link MacVirtualMemory} over a simulated Apple silicon kernel (16 KiB
 * pages): the same logic that runs on macOS, judged by the simulation's page table.
 */
class MacPageAllocatorSimulatedTest extends PageAllocatorContract {
    static final SimulatedMach SIM = SimulatedMach.arm64(256L << 20);
    static final SimulatedMachKernel KERNEL = new SimulatedMachKernel(SIM);

    @Override
    protected PageAllocatorBuilder builder() {
        return PageAllocator.builder().withProvider(KERNEL.provider());
    }

    @Override
    protected KernelView kernelView() {
        return SIM.addressSpace().kernelView();
    }
}
