package dev.pagealloc.macos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.MemoryPartition;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import dev.pagealloc.testkit.sim.SimulatedMach;
import org.junit.jupiter.api.Test;

/**
 * A locked partition on macOS, against the simulated kernel (nothing here has run on a Mac): its
 * guaranteed minimum is wired with {@code mlock} up front, and stays wired as regions take it over (their
 * pages wired by {@code mlock}, the reserve's replaced by fresh, unwired ones on decommit).
 */
class MacPartitionSimulatedTest {
    private static final SimulatedMach SIM = SimulatedMach.arm64(64L << 20);
    private static final SimulatedMachKernel KERNEL = new SimulatedMachKernel(SIM);
    private static final long PAGE = 65536;

    @Test
    void shouldWireTheGuaranteedMinimumAndHandItOverWired() {
        long before = SIM.addressSpace().wiredBytes();
        PageAllocator source = PageAllocator.builder().withProvider(KERNEL.provider()).build();
        MemoryPartition partition = MemoryPartition.builder("wired").maximumBytes(16 * PAGE).guaranteedBytes(4 * PAGE)
                .flags(MemoryPartition.Flag.LOCKED).reserveFrom(source).build();
        assertEquals(before + 4 * PAGE, SIM.addressSpace().wiredBytes(), "mlock wired the reserve");
        PageAllocator allocator = PageAllocator.builder().withProvider(KERNEL.provider()).withPartition(partition)
                .build();
        Region region = allocator.allocate(1, 8);
        assertTrue(region.appliedOptions().locked());
        assertEquals(3 * PAGE, partition.statistics().reserveBytes());
        assertEquals(before + 4 * PAGE, SIM.addressSpace().wiredBytes(), "one page moved, still wired");
        region.grow(5);
        assertEquals(before + 6 * PAGE, SIM.addressSpace().wiredBytes(), "past the minimum: the region's 6 pages");
        region.deallocate();
        assertEquals(before + 4 * PAGE, SIM.addressSpace().wiredBytes(), "the reserve is whole and wired again");
        partition.close();
        assertEquals(before, SIM.addressSpace().wiredBytes());
    }
}
