package dev.pagealloc.windows;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.KernelException;
import dev.pagealloc.api.MemoryPartition;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import dev.pagealloc.testkit.sim.SimulatedWin32;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A locked partition on Windows, against the simulated kernel (nothing here has run on Windows): the
 * guaranteed minimum is locked with {@code VirtualLock}, which the minimum working set bounds ("The maximum
 * number of pages that a process can lock is equal to the number of pages in its minimum working set minus
 * a small overhead", sdk-api {@code nf-memoryapi-virtuallock.md}); past it the refusal names the remedy,
 * {@code SetProcessWorkingSetSize}, and after raising the working set the same partition builds.
 */
class WindowsPartitionSimulatedTest {
    private static final long PAGE = 65536;

    @Test
    void shouldLockTheGuaranteedMinimumWithinTheWorkingSetAndNameTheRemedyPastIt() {
        SimulatedWin32 sim = new SimulatedWin32(64L << 20, 2L << 20, 0, false);
        SimulatedWin32Kernel kernel = new SimulatedWin32Kernel(sim);
        PageAllocator source = PageAllocator.builder().withProvider(kernel.provider()).build();
        // A commit is locked before the reserve lets go of as much, so the quota must hold the minimum plus
        // the commit: 42 pages of 4 KiB by default, 16 for the reserve's 64 KiB and 16 for the region's page.
        MemoryPartition small = MemoryPartition.builder("small").maximumBytes(16 * PAGE).guaranteedBytes(PAGE)
                .flags(MemoryPartition.Flag.LOCKED).reserveFrom(source).build();
        assertEquals(PAGE, sim.lockedBytes(), "VirtualLock locked the reserve");
        Region region = PageAllocator.builder().withProvider(kernel.provider()).withPartition(small).build()
                .allocate(1, 4);
        assertEquals(PAGE, sim.lockedBytes(), "the region's page is locked, the reserve's decommitted one is not");
        region.deallocate();
        small.close();
        assertEquals(0, sim.lockedBytes());

        MemoryPartition.Builder large = MemoryPartition.builder("large").maximumBytes(32 * PAGE)
                .guaranteedBytes(8 * PAGE).flags(MemoryPartition.Flag.LOCKED).reserveFrom(source);
        KernelException e = assertThrows(KernelException.class, large::build);
        assertTrue(e.getMessage().endsWith("ERROR_WORKING_SET_QUOTA (1453): Insufficient quota to complete the"
                + " requested service. (VirtualLock is limited by the process's minimum working set; raise it with"
                + " SetProcessWorkingSetSize)"), e.getMessage());
        assertEquals(0, sim.lockedBytes(), "nothing stays locked");
        MemoryPartition bestEffort = MemoryPartition.builder("large").maximumBytes(32 * PAGE)
                .guaranteedBytes(8 * PAGE).flags(MemoryPartition.Flag.LOCKED, MemoryPartition.Flag.BEST_EFFORT)
                .reserveFrom(source).build();
        assertEquals(1, bestEffort.downgrades().size());
        assertTrue(bestEffort.downgrades().getFirst().startsWith("lock=true -> false: VirtualLock("),
                bestEffort.downgrades()::toString);
        assertEquals(8 * PAGE, bestEffort.statistics().reserveBytes(), "held, unlocked");
        bestEffort.close();

        assertEquals(1, sim.setProcessWorkingSetSize(SimulatedWin32.CURRENT_PROCESS, 4L << 20, 8L << 20));
        MemoryPartition raised = large.build();
        assertEquals(8 * PAGE, sim.lockedBytes(), "within the raised working set");
        assertEquals(List.of(), raised.downgrades());
        raised.close();
        assertEquals(0, sim.lockedBytes());
    }
}
