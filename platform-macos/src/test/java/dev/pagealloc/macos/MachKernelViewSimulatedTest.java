package dev.pagealloc.macos;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.testkit.sim.SimulatedMach;
import org.junit.jupiter.api.Test;

/**
 * {@link MachKernelView}, the view the macOS contract run uses, agrees with a simulation's own
 * page table: the view the real-kernel tests rely on is itself tested here.
 */
class MachKernelViewSimulatedTest {
    @Test
    void shouldSeeWhatThePageTableHolds() {
        SimulatedMach sim = SimulatedMach.arm64(32L << 20);
        SimulatedMachKernel kernel = new SimulatedMachKernel(sim);
        MachKernelView view = new MachKernelView(kernel);
        try (Region region = PageAllocator.builder().withProvider(kernel.provider()).build().allocate(3, 6)) {
            region.protect(65536, 65536, Protection.READ);
            region.decommit(2 * 65536, 65536);
            long start = region.address() - region.guardBeforeBytes();
            assertEquals(sim.addressSpace().kernelView().mappings(start, region.reservedBytes()),
                    view.mappings(start, region.reservedBytes()));
            assertEquals(4, view.mappings(start, region.reservedBytes()).size(),
                    view.mappings(start, region.reservedBytes())::toString);
            assertEquals(java.util.List.of(), view.writableExecutableMappings());
        }
        assertEquals(0, view.mappingCount().orElseThrow());
        sim.addressSpace().close();
    }
}
