package dev.pagealloc.windows;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.testkit.sim.SimulatedWin32;
import org.junit.jupiter.api.Test;

/**
 * {@link VirtualQueryKernelView}, the view the Windows contract run uses, agrees with a
 * simulation's own page table: the view the real-kernel tests rely on is itself tested here.
 */
class VirtualQueryKernelViewSimulatedTest {
    @Test
    void shouldSeeWhatThePageTableHolds() {
        SimulatedWin32 sim = new SimulatedWin32(32L << 20, 0, 0, false);
        SimulatedWin32Kernel kernel = new SimulatedWin32Kernel(sim);
        VirtualQueryKernelView view = new VirtualQueryKernelView(kernel);
        assertEquals(0, view.mappingCount().orElseThrow());
        try (Region region = PageAllocator.builder().withProvider(kernel.provider()).build().allocate(3, 6)) {
            region.protect(65536, 65536, Protection.READ);
            region.decommit(2 * 65536, 65536);
            long start = region.address() - region.guardBeforeBytes();
            assertEquals(sim.addressSpace().kernelView().mappings(start, region.reservedBytes()),
                    view.mappings(start, region.reservedBytes()));
            assertEquals(4, view.mappings(start, region.reservedBytes()).size());
            assertEquals(1, view.mappingCount().orElseThrow(), "one reservation, one AllocationBase");
            assertEquals(java.util.List.of(), view.writableExecutableMappings());
        }
        assertEquals(0, view.mappingCount().orElseThrow());
        sim.addressSpace().close();
    }
}
