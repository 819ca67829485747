package dev.pagealloc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.BudgetExceededException;
import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.HugePages;
import dev.pagealloc.api.KernelException;
import dev.pagealloc.api.MemoryPartition;
import dev.pagealloc.api.MemoryPartition.Flag;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PageAllocatorBuilder;
import dev.pagealloc.api.PartitionLimiter;
import dev.pagealloc.api.PartitionStatistics;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.UnsupportedOptionException;
import dev.pagealloc.spi.VirtualMemory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link MemoryPartition} over the fake backend: nesting, atomic refusals at any level on every commit
 * path, the guaranteed minimum's reserve (what is committed, prefaulted, locked and handed back, call by
 * call), the flags, statistics and the limiter.
 */
class MemoryPartitionTest {
    private static final long PAGE = PageAllocatorBuilder.WASM_PAGE_BYTES;

    private static PageAllocatorBuilder builder(VirtualMemory memory) {
        return PageAllocator.builder().withProvider(TestProviders.of("fake", memory)).withGuardPages(false);
    }

    private static PageAllocator inside(MemoryPartition partition) {
        return builder(new FakeVirtualMemory()).withPartition(partition).build();
    }

    @Test
    void shouldCheckTheShapeOfATree() {
        MemoryPartition host = MemoryPartition.builder("host").maximumBytes(8 * PAGE).build();
        assertEquals("MemoryPartition.build(name=tenant, maximumBytes=" + 9 * PAGE + ", guaranteedBytes=0, parent=host)"
                + ": maximumBytes exceeds the parent 'host''s maximumBytes=" + 8 * PAGE,
                assertThrows(IllegalArgumentException.class,
                        () -> host.child("tenant").maximumBytes(9 * PAGE).build()).getMessage());
        assertThrows(IllegalArgumentException.class, () -> MemoryPartition.builder(" ").maximumBytes(1).build());
        assertThrows(IllegalArgumentException.class, () -> MemoryPartition.builder("x").build(), "no maximum");
        assertThrows(IllegalArgumentException.class,
                () -> MemoryPartition.builder("x").maximumBytes(PAGE).guaranteedBytes(2 * PAGE).build());
        FakeVirtualMemory memory = new FakeVirtualMemory();
        PageAllocator reserveSource = builder(memory).build();
        MemoryPartition a = host.child("a").maximumBytes(8 * PAGE).guaranteedBytes(5 * PAGE).reserveFrom(reserveSource)
                .build();
        assertEquals(5 * PAGE, host.usedBytes(), "a child's guaranteed minimum counts in its parent from the start");
        IllegalArgumentException tooMuch = assertThrows(IllegalArgumentException.class,
                () -> host.child("b").maximumBytes(8 * PAGE).guaranteedBytes(4 * PAGE).reserveFrom(reserveSource)
                        .build());
        assertEquals("MemoryPartition.build(name=b, maximumBytes=" + 8 * PAGE + ", guaranteedBytes=" + 4 * PAGE
                + ", parent=host): the children's guaranteed minimums (" + 5 * PAGE + " bytes already, + " + 4 * PAGE
                + ") would exceed the parent 'host''s maximumBytes=" + 8 * PAGE, tooMuch.getMessage());
        assertEquals(List.of(a), host.children());
        assertEquals("close(): partition 'host' has open children [a]",
                assertThrows(IllegalStateException.class, host::close).getMessage());
        a.close();
        assertEquals(0, host.usedBytes(), "closing gives the guaranteed minimum back");
        assertEquals(List.of(), host.children());
        MemoryPartition b = host.child("b").maximumBytes(8 * PAGE).guaranteedBytes(8 * PAGE).reserveFrom(reserveSource)
                .build();
        assertEquals(8 * PAGE, host.usedBytes(), "a's minimum no longer counts against the children's");
        b.close();
        host.close();
        assertThrows(IllegalStateException.class, () -> host.charge("c()", 1));
    }

    @Test
    void shouldChargeEveryLevelAndRefuseAtomicallyWhereverTheLimitIs() {
        MemoryPartition host = MemoryPartition.builder("host").maximumBytes(4 * PAGE).build();
        MemoryPartition a = host.child("a").maximumBytes(3 * PAGE).build();
        MemoryPartition b = host.child("b").maximumBytes(3 * PAGE).build();
        Region ra = inside(a).allocate(3, 3);
        assertEquals(3 * PAGE, a.usedBytes());
        assertEquals(3 * PAGE, host.usedBytes(), "a child's use counts in its parent");
        PageAllocator inB = inside(b);
        Region rb = inB.allocate(1, 3);
        BudgetExceededException e = assertThrows(BudgetExceededException.class, () -> rb.grow(1));
        assertEquals("grow(additionalPages=1): partition 'host' cannot take requestedBytes=" + PAGE + " for 'b':"
                + " usedBytes=" + 4 * PAGE + ", limitBytes=" + 4 * PAGE, e.getMessage());
        assertSame(host, e.partition());
        assertSame(b, e.charged());
        assertEquals(PAGE, b.usedBytes(), "the level below the refusal holds nothing of it");
        assertEquals(4 * PAGE, host.usedBytes());
        assertEquals(1, rb.pages());
        Region rb2 = inB.allocate(0, 3);
        ra.decommit(0, 2 * PAGE);
        BudgetExceededException own = assertThrows(BudgetExceededException.class, () -> rb2.grow(3));
        assertSame(b, own.partition(), "b's own maximum refuses before its parent's");
        assertEquals(PAGE, b.usedBytes());
        assertEquals(2 * PAGE, host.usedBytes());
        ra.recommit(0, 2 * PAGE);
        rb2.deallocate();
        ra.decommit(0, PAGE);
        assertEquals(2 * PAGE, a.usedBytes());
        assertEquals(3 * PAGE, host.usedBytes());
        assertEquals(1, rb.grow(1));
        assertThrows(BudgetExceededException.class, () -> ra.recommit(0, PAGE), "recommit is charged too");
        assertEquals(2 * PAGE, a.usedBytes());
        rb.deallocate();
        ra.recommit(0, PAGE);
        assertEquals(3 * PAGE, host.usedBytes());
        ra.deallocate();
        assertEquals(0, host.usedBytes());
        assertEquals(0, a.usedBytes());
        PartitionStatistics s = host.statistics();
        assertEquals(4 * PAGE, s.peakBytes());
        assertEquals(2, s.refusals(), "a refused grow and a refused recommit at host; one grow at b");
        assertEquals(List.of("a", "b"), s.children().stream().map(PartitionStatistics::name).toList());
        assertEquals(1, s.children().get(1).refusals());
        assertEquals(3 * PAGE, s.children().get(0).peakBytes());
    }

    @Test
    void shouldLeaveNothingChargedWhenPopulateLockOrTheCommitFails() {
        MemoryPartition host = MemoryPartition.builder("host").maximumBytes(16 * PAGE).build();
        MemoryPartition tenant = host.child("tenant").maximumBytes(8 * PAGE).build();
        FakeVirtualMemory memory = new FakeVirtualMemory();
        PageAllocator allocator = builder(memory).withPartition(tenant).withPopulate(true).withLock(true).build();
        Region region = allocator.allocate(1, 8);
        for (String primitive : List.of("commit", "populate", "lock")) {
            memory.failNext(primitive);
            assertThrows(KernelException.class, () -> region.grow(2), primitive);
            assertEquals(PAGE, tenant.usedBytes(), primitive);
            assertEquals(PAGE, host.usedBytes(), primitive);
            memory.failNext(primitive);
            assertThrows(KernelException.class, () -> allocator.allocate(2, 2), primitive);
            assertEquals(PAGE, host.usedBytes(), primitive);
        }
        region.deallocate();
        assertEquals(0, host.usedBytes());

        // Explicit huge pages the pool cannot supply: refused (or, best effort, downgraded) after the charge.
        FakeVirtualMemory huge = new FakeVirtualMemory(b -> b.hugePageSizes(List.of(
                new Capabilities.HugePageSize(HugePages.SIZE_2_MIB, 0, 0))));
        PageAllocator hugeAllocator = builder(huge).withPartition(tenant).withHugePages(
                HugePages.explicit(HugePages.SIZE_2_MIB)).withPageBytes(HugePages.SIZE_2_MIB).build();
        MemoryPartition wide = MemoryPartition.builder("wide").maximumBytes(4 * HugePages.SIZE_2_MIB).build();
        PageAllocator hugeWide = builder(huge).withPartition(wide).withHugePages(
                HugePages.explicit(HugePages.SIZE_2_MIB)).withPageBytes(HugePages.SIZE_2_MIB).build();
        assertThrows(BudgetExceededException.class, () -> hugeAllocator.allocate(1, 1), "2 MiB > the tenant's 512 KiB");
        huge.failNext("commit");
        assertThrows(UnsupportedOptionException.class, () -> hugeWide.allocate(1, 2));
        assertEquals(0, wide.usedBytes(), "the refused huge page commit is refunded");
        Region hugeRegion = hugeWide.allocate(1, 2);
        huge.failNext("commit");
        assertThrows(KernelException.class, () -> hugeRegion.grow(1));
        assertEquals(HugePages.SIZE_2_MIB, wide.usedBytes());
        hugeRegion.deallocate();
        assertEquals(0, wide.usedBytes());
    }

    @Test
    void shouldHoldTheGuaranteedMinimumResidentAndHandItOver() {
        FakeVirtualMemory reserveMemory = new FakeVirtualMemory();
        MemoryPartition partition = MemoryPartition.builder("guaranteed").maximumBytes(8 * PAGE)
                .guaranteedBytes(2 * PAGE).flags(Flag.LOCKED).reserveFrom(builder(reserveMemory).build()).build();
        assertEquals(List.of("reserve(" + 2 * PAGE + ", 4096, default)", "commit(+" + 2 * PAGE
                + ", default)", "populate(+" + 2 * PAGE + ")", "lock(+" + 2 * PAGE + ")"), reserveMemory.calls());
        assertEquals(2 * PAGE, partition.statistics().reserveBytes());
        assertEquals(0, partition.usedBytes());

        FakeVirtualMemory memory = new FakeVirtualMemory();
        PageAllocator allocator = builder(memory).withPartition(partition).build();
        Region region = allocator.allocate(1, 8);
        assertTrue(region.appliedOptions().populated(), "a guaranteed partition's pages are prefaulted");
        assertTrue(region.appliedOptions().locked(), "a LOCKED partition's pages are locked");
        assertEquals(List.of("reserve(" + 8 * PAGE + ", 4096, default)", "commit(+" + PAGE + ", default)",
                "populate(+" + PAGE + ")", "lock(+" + PAGE + ")"), memory.calls(), "resident and locked first");
        assertEquals(PAGE, partition.statistics().reserveBytes(), "then the reserve hands a page back");
        assertEquals("decommit(+" + PAGE + ")", reserveMemory.calls().getLast());
        region.grow(3);
        assertEquals(0, partition.statistics().reserveBytes());
        assertEquals(4 * PAGE, partition.usedBytes());
        region.decommit(PAGE, 3 * PAGE);
        assertEquals(PAGE, partition.statistics().reserveBytes(), "falling below the minimum refills the reserve");
        assertEquals(List.of("commit(+" + PAGE + ", default)", "populate(+" + PAGE + ")", "lock(+" + PAGE + ")"),
                reserveMemory.calls().subList(reserveMemory.calls().size() - 3, reserveMemory.calls().size()));
        region.deallocate();
        assertEquals(2 * PAGE, partition.statistics().reserveBytes());
        partition.close();
        assertEquals("release(" + 2 * PAGE + ")", reserveMemory.calls().getLast());
        assertEquals(0, partition.statistics().reserveBytes());
    }

    @Test
    void shouldLeaveNothingBehindWhenTheReserveCannotBeHeld() {
        MemoryPartition host = MemoryPartition.builder("host").maximumBytes(8 * PAGE).build();
        FakeVirtualMemory reserveMemory = new FakeVirtualMemory();
        PageAllocator source = builder(reserveMemory).build();
        reserveMemory.failNext("lock");
        KernelException e = assertThrows(KernelException.class, () -> host.child("t").maximumBytes(4 * PAGE)
                .guaranteedBytes(PAGE).flags(Flag.LOCKED).reserveFrom(source).build());
        assertEquals("MemoryPartition.build(name=t, maximumBytes=" + 4 * PAGE + ", guaranteedBytes=" + PAGE
                + ", parent=host): cannot hold the guaranteed minimum of " + PAGE + " bytes at "
                + e.getMessage().substring(e.getMessage().indexOf(" at 0x") + 4, e.getMessage().indexOf(": lock"))
                + ": lock(...) -> ENOMEM (12): Cannot allocate memory", e.getMessage());
        assertEquals(0, host.usedBytes(), "the parent's charge is refunded");
        assertEquals(0, reserveMemory.liveReservations(), "the reserve is released");
        assertEquals(List.of(), host.children());

        reserveMemory.failNext("lock");
        MemoryPartition bestEffort = host.child("t").maximumBytes(4 * PAGE).guaranteedBytes(PAGE)
                .flags(Flag.LOCKED, Flag.BEST_EFFORT).reserveFrom(source).build();
        assertEquals(List.of("lock=true -> false: lock(...) -> ENOMEM (12): Cannot allocate memory"),
                bestEffort.downgrades());
        assertEquals(PAGE, bestEffort.statistics().reserveBytes());
        bestEffort.close();
        reserveMemory.failNext("lock");
        assertThrows(KernelException.class, () -> host.child("t").maximumBytes(4 * PAGE).guaranteedBytes(PAGE)
                .flags(Flag.NON_PAGED, Flag.BEST_EFFORT).reserveFrom(source).build(), "NON_PAGED is never dropped");
        assertEquals(0, reserveMemory.liveReservations());
    }

    @Test
    void shouldRefuseLockingWherePagesCannotBeLocked() {
        FakeVirtualMemory cannotLock = new FakeVirtualMemory(b -> b.pageLocking(false));
        MemoryPartition locked = MemoryPartition.builder("locked").maximumBytes(PAGE).flags(Flag.LOCKED).build();
        UnsupportedOptionException e = assertThrows(UnsupportedOptionException.class,
                () -> builder(cannotLock).withPartition(locked).build());
        assertEquals("build(): lock=true (partition 'locked' is LOCKED) is not available: platform fake cannot lock"
                + " pages in memory", e.getMessage());
        MemoryPartition child = locked.child("child").maximumBytes(PAGE).flags(Flag.BEST_EFFORT).build();
        Region region = builder(cannotLock).withPartition(child).build().allocate(1, 1);
        assertFalse(region.appliedOptions().locked());
        assertEquals(List.of("lock=true (partition 'child' is LOCKED) -> false: platform fake cannot lock pages in"
                + " memory"), region.appliedOptions().downgrades());
        region.deallocate();
        MemoryPartition nonPaged = MemoryPartition.builder("np").maximumBytes(PAGE).flags(Flag.NON_PAGED,
                Flag.BEST_EFFORT).build();
        assertThrows(UnsupportedOptionException.class, () -> builder(cannotLock).withPartition(nonPaged)
                .withBestEffort(true).build(), "NON_PAGED is refused even with best effort");
    }

    @Test
    void shouldAskTheLimiterBeforeRefusingAndRetryOnce() {
        AtomicReference<Region> victim = new AtomicReference<>();
        List<PartitionLimiter.Request> asked = new ArrayList<>();
        MemoryPartition host = MemoryPartition.builder("host").maximumBytes(4 * PAGE).limiter(request -> {
            asked.add(request);
            Region r = victim.getAndSet(null);
            if (r == null) {
                return false; // veto: nothing left to free
            }
            r.deallocate(); // the host frees another tenant's memory, then asks for the retry
            return true;
        }).build();
        MemoryPartition a = host.child("a").maximumBytes(4 * PAGE).build();
        MemoryPartition b = host.child("b").maximumBytes(4 * PAGE).build();
        victim.set(inside(a).allocate(3, 3));
        Region rb = inside(b).allocate(1, 8);
        assertEquals(1, rb.grow(2), "the limiter freed a's 3 pages and the retry took the 2");
        assertEquals(1, asked.size());
        assertEquals(new PartitionLimiter.Request(host, b, "grow(additionalPages=2)", 2 * PAGE, 4 * PAGE, 4 * PAGE),
                asked.getFirst());
        assertEquals(0, a.usedBytes());
        assertEquals(3 * PAGE, host.usedBytes());
        Region ra = inside(a).allocate(1, 1);
        assertThrows(BudgetExceededException.class, () -> rb.grow(1), "vetoed");
        assertEquals(3 * PAGE, b.usedBytes(), "nothing charged at b either");
        assertEquals(2, asked.size());
        assertEquals(1, host.statistics().refusals(), "a refusal the limiter averted is not counted");

        MemoryPartition throwing = MemoryPartition.builder("throwing").maximumBytes(PAGE).limiter(request -> {
            throw new IllegalStateException("host says no");
        }).build();
        Region small = inside(throwing).allocate(1, 2);
        BudgetExceededException e = assertThrows(BudgetExceededException.class, () -> small.grow(1));
        assertEquals("grow(additionalPages=1): partition 'throwing' cannot take requestedBytes=" + PAGE
                + ": usedBytes=" + PAGE + ", limitBytes=" + PAGE
                + "; its limiter threw java.lang.IllegalStateException: host says no", e.getMessage());
        assertEquals("host says no", e.getCause().getMessage());
        assertEquals(PAGE, throwing.usedBytes());
        assertEquals(1, small.pages());

        int[] calls = {0};
        MemoryPartition retryOnce = MemoryPartition.builder("once").maximumBytes(PAGE).limiter(request -> {
            calls[0]++;
            return true; // asks for a retry but frees nothing
        }).build();
        assertThrows(BudgetExceededException.class, () -> inside(retryOnce).allocate(2, 2));
        assertEquals(1, calls[0], "one retry, then the refusal");
        rb.deallocate();
        ra.deallocate();
        small.deallocate();
    }

    @Test
    void shouldChargeConcurrentlyWithoutPassingAnyLimit() throws InterruptedException {
        MemoryPartition host = MemoryPartition.builder("host").maximumBytes(1000).build();
        List<MemoryPartition> tenants = List.of(host.child("a").maximumBytes(700).build(),
                host.child("b").maximumBytes(700).build());
        List<Thread> threads = new ArrayList<>();
        long[] held = new long[4];
        for (int t = 0; t < 4; t++) {
            int index = t;
            MemoryPartition tenant = tenants.get(t % 2);
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 20_000; i++) {
                    try {
                        tenant.charge("c()", 7);
                        held[index] += 7;
                        if (i % 3 == 0) {
                            tenant.refund(7);
                            held[index] -= 7;
                        }
                    } catch (BudgetExceededException refused) {
                        assertTrue(host.usedBytes() <= 1000 && tenant.usedBytes() <= 700);
                    }
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        long total = held[0] + held[1] + held[2] + held[3];
        assertEquals(total, host.usedBytes());
        assertEquals(held[0] + held[2], tenants.get(0).usedBytes());
        assertTrue(host.statistics().peakBytes() <= 1000);
    }
}
