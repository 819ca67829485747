package dev.pagealloc.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pagealloc.api.AllocatorStatistics;
import dev.pagealloc.api.BudgetExceededException;
import dev.pagealloc.api.MaximumPagesExceededException;
import dev.pagealloc.api.MemoryBudget;
import dev.pagealloc.api.MemoryPartition;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PartitionStatistics;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import org.junit.jupiter.api.Test;

/**
 * The conformance suite, part 3: accounting. Statistics add up after every operation, budgets and
 * partitions (nested, with a guaranteed minimum held by this backend) refuse commits past their limit at
 * any level and leave nothing charged at any level, and the maximum is a hard limit.
 * A backend's test implements it beside the other parts.
 */
public interface AccountingContract extends ContractSupport {


    /** Statistics count every operation, refund a decommitted page once, and keep the peak after deallocation. */
    @Test
    default void shouldKeepStatisticsThatAddUp() {
        PageAllocator allocator = allocator(b -> b);
        assertEquals(new AllocatorStatistics(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), allocator.statistics());
        Region a = allocate(allocator, 2, 8);
        Region b = allocate(allocator, 1, 4);
        AllocatorStatistics s = allocator.statistics();
        assertEquals(a.reservedBytes() + b.reservedBytes(), s.reservedBytes());
        assertEquals(3 * WASM_PAGE, s.committedBytes());
        assertEquals(3 * WASM_PAGE, s.peakCommittedBytes());
        assertEquals(2, s.liveRegions());
        assertEquals(2, s.allocations());

        a.grow(3);
        a.protect(0, a.protectionGranuleBytes(), Protection.READ);
        a.decommit(WASM_PAGE, 2 * WASM_PAGE);
        a.decommit(WASM_PAGE, WASM_PAGE);
        a.discard(3 * WASM_PAGE, WASM_PAGE);
        s = allocator.statistics();
        assertEquals(4 * WASM_PAGE, s.committedBytes(), "decommitting a page twice refunds it once");
        assertEquals(6 * WASM_PAGE, s.peakCommittedBytes());
        assertEquals(1, s.grows());
        assertEquals(1, s.protects());
        assertEquals(2, s.decommits());
        assertEquals(1, s.discards());
        assertEquals(0, s.failures());

        assertEquals(-1, b.tryGrow(4));
        assertThrows(MaximumPagesExceededException.class, () -> b.grow(4));
        assertEquals(2, allocator.statistics().failures());

        a.recommit(WASM_PAGE, 2 * WASM_PAGE);
        assertEquals(6 * WASM_PAGE, allocator.statistics().committedBytes());
        a.decommit(0, WASM_PAGE);
        a.deallocate();
        s = allocator.statistics();
        assertEquals(b.reservedBytes(), s.reservedBytes());
        assertEquals(WASM_PAGE, s.committedBytes(), "decommitted pages are not refunded twice on deallocate");
        assertEquals(1, s.liveRegions());
        assertEquals(1, s.deallocations());
        b.deallocate();
        s = allocator.statistics();
        assertEquals(0, s.reservedBytes());
        assertEquals(0, s.committedBytes());
        assertEquals(0, s.liveRegions());
        assertEquals(6 * WASM_PAGE, s.peakCommittedBytes(), "the peak survives");
        assertEquals(2, s.allocations());
        assertEquals(2, s.deallocations());
    }

    /**
     * A grow the budget cannot take throws (or {@code tryGrow} returns -1) and charges nothing; decommit and
     * deallocate refund.
     */
    @Test
    default void shouldRefuseGrowPastTheBudgetAndChargeNothing() {
        MemoryBudget budget = MemoryBudget.of("contract", 4 * WASM_PAGE);
        PageAllocator allocator = allocator(b -> b.withBudget(budget));
        Region region = allocate(allocator, 2, 10);
        assertEquals(2 * WASM_PAGE, budget.usedBytes());
        BudgetExceededException e = assertThrows(BudgetExceededException.class, () -> region.grow(3));
        assertEquals("grow(additionalPages=3): budget 'contract' cannot take requestedBytes=" + 3 * WASM_PAGE
                + ": usedBytes=" + 2 * WASM_PAGE + ", limitBytes=" + 4 * WASM_PAGE, e.getMessage());
        assertEquals(budget, e.budget());
        assertEquals(2, region.pages());
        assertEquals(2 * WASM_PAGE, budget.usedBytes());
        assertEquals(2 * WASM_PAGE, allocator.statistics().committedBytes());
        assertLayout(region, 2 * WASM_PAGE);
        assertEquals(-1, region.tryGrow(3), "tryGrow reports a budget refusal as -1");

        assertEquals(2, region.grow(2));
        assertEquals(4 * WASM_PAGE, budget.usedBytes());
        region.decommit(0, WASM_PAGE);
        assertEquals(3 * WASM_PAGE, budget.usedBytes(), "decommit refunds");
        assertThrows(BudgetExceededException.class, () -> region.grow(2));
        region.recommit(0, WASM_PAGE);
        assertEquals(4 * WASM_PAGE, budget.usedBytes());
        region.deallocate();
        assertEquals(0, budget.usedBytes(), "deallocate refunds everything still committed");
    }

    /** An allocation the budget cannot take throws and leaves nothing reserved or charged. */
    @Test
    default void shouldRefuseAnAllocationPastTheBudgetAndReserveNothing() {
        MemoryBudget budget = MemoryBudget.of("small", 2 * WASM_PAGE);
        PageAllocator allocator = allocator(b -> b.withBudget(budget));
        BudgetExceededException e = assertThrows(BudgetExceededException.class, () -> allocator.allocate(3, 4));
        assertEquals("allocate(initialPages=3, maximumPages=4): budget 'small' cannot take requestedBytes="
                + 3 * WASM_PAGE + ": usedBytes=0, limitBytes=" + 2 * WASM_PAGE, e.getMessage());
        AllocatorStatistics s = allocator.statistics();
        assertEquals(0, s.reservedBytes(), "nothing stays reserved");
        assertEquals(0, s.liveRegions());
        assertEquals(0, budget.usedBytes());
        Region region = allocate(allocator, 2, 4);
        assertLayout(region, 2 * WASM_PAGE);
    }

    /** Two allocators with one budget draw on the same limit. */
    @Test
    default void shouldShareOneBudgetBetweenAllocators() {
        MemoryBudget budget = MemoryBudget.of("shared", 3 * WASM_PAGE);
        Region a = allocate(allocator(b -> b.withBudget(budget)), 2, 2);
        PageAllocator other = allocator(b -> b.withBudget(budget));
        assertThrows(BudgetExceededException.class, () -> other.allocate(2, 2));
        Region b = allocate(other, 1, 1);
        assertEquals(3 * WASM_PAGE, budget.usedBytes());
        a.deallocate();
        b.deallocate();
        assertEquals(0, budget.usedBytes());
    }

    /**
     * No grow passes the region's maximum pages, however large the request; the region is unchanged by a
     * refusal.
     */
    @Test
    default void shouldTreatTheMaximumAsAHardLimit() {
        PageAllocator allocator = allocator(b -> b);
        Region region = allocate(allocator, 1, 3);
        assertEquals(-1, region.tryGrow(3));
        assertEquals(-1, region.tryGrow(Long.MAX_VALUE));
        assertEquals(1, region.pages());
        assertLayout(region, WASM_PAGE);
        assertEquals(1, region.tryGrow(2));
        assertEquals(3, region.pages());
        assertEquals(-1, region.tryGrow(1));
        MaximumPagesExceededException e = assertThrows(MaximumPagesExceededException.class, () -> region.grow(1));
        assertEquals("grow(additionalPages=1): pages=3 + additionalPages=1 exceeds maximumPages=3", e.getMessage());
        assertEquals(3, e.pages());
        assertEquals(1, e.additionalPages());
        assertEquals(3, e.maximumPages());
        assertEquals(3, region.tryGrow(0));
        assertLayout(region, 3 * WASM_PAGE);
    }

    /**
     * A grow, an allocation or a recommit that a parent partition cannot take is refused there, and no
     * level holds any of it; the region's pages are as before in the kernel's view.
     */
    @Test
    default void shouldRefuseAtTheParentPartitionAndChargeNoLevel() {
        MemoryPartition host = MemoryPartition.builder("host").maximumBytes(4 * WASM_PAGE).build();
        MemoryPartition a = host.child("a").maximumBytes(3 * WASM_PAGE).build();
        MemoryPartition b = host.child("b").maximumBytes(3 * WASM_PAGE).build();
        Region ra = allocate(allocator(o -> o.withPartition(a)), 2, 3);
        PageAllocator inB = allocator(o -> o.withPartition(b));
        Region rb = allocate(inB, 1, 3);
        BudgetExceededException e = assertThrows(BudgetExceededException.class, () -> rb.grow(2));
        assertEquals("grow(additionalPages=2): partition 'host' cannot take requestedBytes=" + 2 * WASM_PAGE
                + " for 'b': usedBytes=" + 3 * WASM_PAGE + ", limitBytes=" + 4 * WASM_PAGE, e.getMessage());
        assertEquals(host, e.partition());
        assertEquals(WASM_PAGE, b.usedBytes());
        assertEquals(3 * WASM_PAGE, host.usedBytes());
        assertLayout(rb, WASM_PAGE);
        assertThrows(BudgetExceededException.class, () -> inB.allocate(2, 2));
        assertEquals(WASM_PAGE, b.usedBytes());
        ra.decommit(0, WASM_PAGE);
        assertEquals(1, rb.grow(2), "the page a gave back is b's to take");
        assertThrows(BudgetExceededException.class, () -> ra.recommit(0, WASM_PAGE));
        assertEquals(WASM_PAGE, a.usedBytes());
        assertEquals(4 * WASM_PAGE, host.usedBytes());
        PartitionStatistics s = host.statistics();
        assertEquals(3, s.refusals());
        assertEquals(2, s.children().size());
        ra.deallocate();
        rb.deallocate();
        assertEquals(0, host.usedBytes());
        b.close();
        a.close();
        host.close();
    }

    /**
     * A guaranteed minimum taken from this backend is held whole until the partition's regions commit,
     * handed back as they do, taken again as they decommit, and released on close.
     */
    @Test
    default void shouldHoldAGuaranteedMinimumFromThisBackend() {
        MemoryPartition partition = MemoryPartition.builder("guaranteed").maximumBytes(8 * WASM_PAGE)
                .guaranteedBytes(2 * WASM_PAGE).reserveFrom(allocator(o -> o)).build();
        assertEquals(2 * WASM_PAGE, partition.statistics().reserveBytes());
        assertEquals(0, partition.usedBytes());
        PageAllocator inside = allocator(o -> o.withPartition(partition));
        Region region = allocate(inside, 1, 8);
        assertEquals(WASM_PAGE, partition.statistics().reserveBytes());
        region.grow(2);
        assertEquals(0, partition.statistics().reserveBytes());
        assertEquals(3 * WASM_PAGE, partition.usedBytes());
        region.decommit(0, 2 * WASM_PAGE);
        assertEquals(WASM_PAGE, partition.statistics().reserveBytes());
        assertKernel(region.address() + 2 * WASM_PAGE, WASM_PAGE, Protection.READ_WRITE, "the page still committed");
        region.deallocate();
        assertEquals(2 * WASM_PAGE, partition.statistics().reserveBytes());
        partition.close();
        assertEquals(0, partition.statistics().reserveBytes());
    }
}
