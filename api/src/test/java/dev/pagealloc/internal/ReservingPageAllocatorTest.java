package dev.pagealloc.internal;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.BudgetExceededException;
import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.HugePages;
import dev.pagealloc.api.KernelException;
import dev.pagealloc.api.MemoryBudget;
import dev.pagealloc.api.MemoryTagging;
import dev.pagealloc.api.NumaPolicy;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PageAllocatorBuilder;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.Units;
import dev.pagealloc.api.UnsupportedOptionException;
import dev.pagealloc.spi.VirtualMemory;
import java.lang.foreign.MemorySegment;
import java.util.EnumSet;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The shared layer over a {@link FakeVirtualMemory}: option checks against capabilities, best-effort
 * downgrades, and what a kernel refusal leaves behind. (Page behaviour against a real kernel is the
 * testkit's conformance suite.)
 */
class ReservingPageAllocatorTest {
    private static final long P = 4096;
    private static final long WASM_PAGE = PageAllocatorBuilder.WASM_PAGE_BYTES;

    private static PageAllocatorBuilder builder(VirtualMemory memory) {
        return PageAllocator.builder().withProvider(TestProviders.of("fake", memory));
    }

    private static FakeVirtualMemory fake(UnaryOperator<Capabilities.Builder> capabilities) {
        return new FakeVirtualMemory(capabilities);
    }

    @Test
    void shouldProbeNothingToBuildWithDefaultOptions() {
        // A backend's probe (OSHI on macOS and Windows, procfs and system calls on Linux) made the first
        // build() of a JVM cost 0.1-0.3 s; options that need no capability must not ask for them.
        FakeVirtualMemory memory = fake(b -> b);
        PageAllocator allocator = builder(memory).withMaximumPages(4).withPageBytes(WASM_PAGE).build();
        assertEquals(0, memory.capabilitiesAsked);
        allocator.capabilities();
        assertEquals(1, memory.capabilitiesAsked);
        builder(memory).withPopulate(true).withBestEffort(true).build();
        assertEquals(2, memory.capabilitiesAsked, "an option that needs a capability asks");
    }

    @Test
    void shouldDecideAboveTheBackendThatHugePagesWhichCannotBeInaccessibleTakeNoGuards() {
        // Windows refused this inside PlatformProvider.open; the backend now only answers
        // protectionUnsupported, and every backend gets the same refusal or downgrade from here.
        FakeVirtualMemory memory = fake(b -> b.hugePageSizes(List.of(new Capabilities.HugePageSize(HugePages.SIZE_2_MIB,
                0, 0)))).withReadWriteOnlyHugePages("always read-write");
        assertEquals("build(): hugePages=explicit(2 MiB) with guardPages=true is not available: guard pages cannot be"
                + " made inaccessible: always read-write; turn guard pages off to use these pages",
                assertThrows(UnsupportedOptionException.class, () -> builder(memory)
                        .withHugePages(HugePages.explicit(HugePages.SIZE_2_MIB)).build()).getMessage());
        try (Region region = builder(memory).withHugePages(HugePages.explicit(HugePages.SIZE_2_MIB))
                .withBestEffort(true).build().allocate(1, 1)) {
            assertEquals(HugePages.systemDefault(), region.appliedOptions().hugePages());
            assertTrue(region.appliedOptions().downgrades().getFirst().contains("guard pages cannot be made"),
                    region.appliedOptions().downgrades()::toString);
        }
        try (Region region = builder(memory).withHugePages(HugePages.explicit(HugePages.SIZE_2_MIB))
                .withPageBytes(HugePages.SIZE_2_MIB).withGuardPages(false).build().allocate(1, 1)) {
            assertEquals(HugePages.explicit(HugePages.SIZE_2_MIB), region.appliedOptions().hugePages());
        }
    }

    @Test
    void shouldRefuseOptionsThePlatformLacksAndNameThem() {
        FakeVirtualMemory plain = fake(b -> b);
        assertEquals("build(): hugePages=explicit(2 MiB) is not available: this platform offers huge page sizes []",
                assertThrows(UnsupportedOptionException.class,
                        () -> builder(plain).withHugePages(HugePages.explicit(HugePages.SIZE_2_MIB)).build())
                        .getMessage());
        assertEquals("build(): hugePages=transparent is not available: transparent huge pages are UNSUPPORTED",
                assertThrows(UnsupportedOptionException.class,
                        () -> builder(plain).withHugePages(HugePages.transparent()).build()).getMessage());
        assertEquals("build(): numaPolicy=" + NumaPolicy.interleave(0, 1)
                + " is not available: platform fake has no NUMA"
                + " support", assertThrows(UnsupportedOptionException.class,
                        () -> builder(plain).withNumaPolicy(NumaPolicy.interleave(0, 1)).build()).getMessage());
        UnsupportedOptionException e = assertThrows(UnsupportedOptionException.class,
                () -> builder(plain).withMemoryTagging(MemoryTagging.of(MemoryTagging.TagCheckMode.SYNC)).build());
        assertTrue(e.getMessage().startsWith("build(): memoryTagging="
                + MemoryTagging.of(MemoryTagging.TagCheckMode.SYNC)
                + " is not available: the CPU has no memory tagging ("), e.getMessage());
        assertEquals("memoryTagging=" + MemoryTagging.of(MemoryTagging.TagCheckMode.SYNC), e.option());
    }

    @Test
    void shouldDowngradeWithBestEffortAndReportIt() {
        FakeVirtualMemory thp = fake(b -> b.transparentHugePages(Capabilities.TransparentHugePageMode.MADVISE));
        PageAllocator allocator =
                builder(thp).withBestEffort(true).withHugePages(HugePages.explicit(HugePages.SIZE_1_GIB))
                .withNumaNode(0).build();
        try (Region region = allocator.allocate(1, 1)) {
            assertEquals(HugePages.transparent(), region.appliedOptions().hugePages());
            assertEquals(NumaPolicy.none(), region.appliedOptions().numaPolicy());
            assertEquals(List.of("hugePages=explicit(1 GiB) -> transparent: this platform offers huge page sizes []",
                    "numaPolicy=" + NumaPolicy.bind(0) + " -> default: platform fake has no NUMA support"),
                    region.appliedOptions().downgrades());
        }
    }

    @Test
    void shouldRefuseANumaNodeThatDoesNotExistOrDowngradeItWithBestEffort() {
        FakeVirtualMemory numa =
                fake(b -> b.numaNodes(List.of(new Capabilities.NumaNode(0, 1L << 30, 1L << 29, List.of(0, 1)))));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> builder(numa).withNumaPolicy(NumaPolicy.bind(0, 3)).build());
        assertEquals("build(numaPolicy=" + NumaPolicy.bind(0, 3) + "): NUMA node 3 does not exist; nodes: [0]",
                e.getMessage());
        try (Region region = builder(numa).withBestEffort(true).withNumaPolicy(NumaPolicy.interleave(0, 3, 5)).build()
                .allocate(1, 1)) {
            assertEquals(NumaPolicy.none(), region.appliedOptions().numaPolicy(), "the README's promise: downgraded");
            assertEquals(List.of("numaPolicy=" + NumaPolicy.interleave(0, 3, 5) + " -> default: NUMA nodes [3, 5]"
                    + " do not exist; nodes: [0]"), region.appliedOptions().downgrades());
        }
        assertTrue(numa.calls().getFirst().endsWith(", default)"), "the reservation is made without the policy");
        try (Region region = builder(numa).withNumaNode(0).build().allocate(1, 1)) {
            assertEquals(NumaPolicy.bind(0), region.appliedOptions().numaPolicy());
        }
    }

    @Test
    void shouldRefuseGuardsThatAreNotWholePages() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> builder(fake(b -> b)).withGuardBytes(100, P).build());
        assertEquals("build(guardBeforeBytes=100, guardAfterBytes=4096): guard sizes must be multiples of the page size"
                + " 4096", e.getMessage());
    }

    @Test
    void shouldReleaseTheReservationWhenTheInitialCommitFails() {
        FakeVirtualMemory memory = fake(b -> b);
        PageAllocator allocator = builder(memory).build();
        memory.failNext("commit");
        KernelException e = assertThrows(KernelException.class, () -> allocator.allocate(2, 4));
        assertTrue(e.getMessage().startsWith("allocate(initialPages=2, maximumPages=4): cannot commit 131072 bytes "
                + "at 0x"),
                e.getMessage());
        assertTrue(e.getMessage().endsWith(": commit(...) -> ENOMEM (12): Cannot allocate memory"), e.getMessage());
        assertEquals("ENOMEM", e.errorName());
        assertEquals(12, e.errorCode());
        assertEquals(0, memory.liveReservations(), "nothing stays reserved");
        assertEquals(0, allocator.statistics().reservedBytes());
        assertEquals(0, allocator.statistics().liveRegions());
        assertEquals(1, allocator.statistics().failures());
    }

    @Test
    void shouldReportARefusedReservation() {
        FakeVirtualMemory memory = fake(b -> b);
        PageAllocator allocator = builder(memory).build();
        memory.failNext("reserve");
        KernelException e = assertThrows(KernelException.class, () -> allocator.allocate(0, 1));
        assertEquals("allocate(initialPages=0, maximumPages=1): cannot reserve " + (WASM_PAGE + 2 * P)
                + " bytes: reserve(...) -> ENOMEM (12): Cannot allocate memory", e.getMessage());
        assertEquals(1, allocator.statistics().failures());
    }

    @Test
    void shouldLeaveARegionAsItWasWhenTheKernelRefuses() {
        FakeVirtualMemory memory = fake(b -> b);
        MemoryBudget budget = MemoryBudget.of("b", 1L << 20);
        PageAllocator allocator = builder(memory).withBudget(budget).build();
        Region region = allocator.allocate(1, 4);
        String at = Units.hex(region.address() + WASM_PAGE);
        memory.failNext("commit");
        KernelException e = assertThrows(KernelException.class, () -> region.grow(2));
        assertEquals("grow(additionalPages=2): cannot commit 131072 bytes at " + at
                + ": commit(...) -> ENOMEM (12): Cannot allocate memory", e.getMessage());
        assertEquals(1, region.pages());
        assertEquals(WASM_PAGE, budget.usedBytes(), "the refused commit is refunded");
        memory.failNext("commit");
        assertEquals(-1, region.tryGrow(1), "tryGrow reports a kernel refusal as -1");
        memory.failNext("protect");
        assertThrows(KernelException.class, () -> region.protect(0, P, Protection.READ));
        assertEquals(Protection.READ_WRITE, region.protectionAt(0));
        memory.failNext("decommit");
        assertThrows(KernelException.class, () -> region.decommit(0, P));
        assertEquals(Protection.READ_WRITE, region.protectionAt(0));
        assertEquals(WASM_PAGE, allocator.statistics().committedBytes());
        memory.failNext("discard");
        assertThrows(KernelException.class, () -> region.discard(0, P));
        memory.failNext("release");
        KernelException release = assertThrows(KernelException.class, region::deallocate);
        assertTrue(release.getMessage().startsWith("deallocate(): cannot release " + region.reservedBytes()
                + " bytes at 0x"),
                release.getMessage());
        assertTrue(region.isAlive(), "a refused release leaves the region alive");
        region.segment().set(JAVA_BYTE, 0, (byte) 1);
        assertEquals(6, allocator.statistics().failures());
        region.deallocate();
        assertFalse(region.isAlive());
        assertEquals(0, budget.usedBytes());
    }

    @Test
    void shouldCountBudgetRefusalsAsFailures() {
        MemoryBudget budget = MemoryBudget.of("small", WASM_PAGE);
        PageAllocator allocator = builder(fake(b -> b)).withBudget(budget).build();
        Region region = allocator.allocate(1, 4);
        assertThrows(BudgetExceededException.class, () -> region.grow(1));
        assertEquals(-1, region.tryGrow(1));
        assertThrows(BudgetExceededException.class, () -> allocator.allocate(1, 1));
        assertEquals(3, allocator.statistics().failures(), "AllocatorStatistics.failures counts budget refusals");
        region.deallocate();
    }

    @Test
    void shouldFallBackFromExplicitHugePagesWhenTheCommitFailsWithBestEffort() {
        FakeVirtualMemory memory =
                fake(b -> b.hugePageSizes(List.of(new Capabilities.HugePageSize(HugePages.SIZE_2_MIB, 0, 0))));
        PageAllocator strict = builder(memory).withHugePages(HugePages.explicit(HugePages.SIZE_2_MIB)).build();
        memory.failNext("commit");
        UnsupportedOptionException e = assertThrows(UnsupportedOptionException.class, () -> strict.allocate(40, 64));
        String shortage = "the pool of 2 MiB pages (0 of 0 free when probed) cannot supply the 2 pages needed:"
                + " commit(...) -> ENOMEM (12): Cannot allocate memory";
        assertEquals("allocate(initialPages=40, maximumPages=64): hugePages=explicit(2 MiB) is not available: "
                + shortage, e.getMessage());
        assertEquals(0, memory.liveReservations(), "nothing stays reserved");
        PageAllocator lenient = builder(memory).withHugePages(HugePages.explicit(HugePages.SIZE_2_MIB))
                .withBestEffort(true).build();
        memory.failNext("commit");
        try (Region region = lenient.allocate(40, 64)) {
            assertEquals(HugePages.systemDefault(), region.appliedOptions().hugePages());
            assertEquals(P, region.protectionGranuleBytes());
            assertEquals(List.of("hugePages=explicit(2 MiB) -> default: " + shortage),
                    region.appliedOptions().downgrades(), "the AppliedOptions example's form");
        }
        assertEquals(0, memory.liveReservations());
        try (Region region = strict.allocate(32, 64)) {
            memory.failNext("commit");
            KernelException grow = assertThrows(KernelException.class, () -> region.grow(1),
                    "a region that has its huge pages reports a later refusal as the kernel's");
            assertTrue(grow.getMessage().startsWith("grow(additionalPages=1): cannot commit 2097152 bytes of"
                    + " explicit(2 MiB) huge pages at 0x"), grow.getMessage());
        }
    }

    @Test
    void shouldRefuseOrDowngradePopulateAndLockThePlatformCannotDo() {
        FakeVirtualMemory memory = fake(b -> b).withoutPopulateAndLock();
        PageAllocator strict = builder(memory).withPopulate(true).build();
        UnsupportedOptionException e = assertThrows(UnsupportedOptionException.class, () -> strict.allocate(1, 1));
        assertEquals("allocate(initialPages=1, maximumPages=1): populate=true is not available: the fake cannot"
                + " populate", e.getMessage());
        assertEquals(0, memory.liveReservations());
        UnsupportedOptionException lock = assertThrows(UnsupportedOptionException.class,
                () -> builder(memory).withLock(true).build().allocate(1, 1));
        assertEquals("allocate(initialPages=1, maximumPages=1): lock=true is not available: the fake cannot lock",
                lock.getMessage(), "only the option asked is named");
        PageAllocator lenient = builder(memory).withPopulate(true).withLock(true).withBestEffort(true).build();
        try (Region region = lenient.allocate(1, 2)) {
            assertFalse(region.appliedOptions().populated());
            assertFalse(region.appliedOptions().locked());
            assertEquals(List.of("populate=true -> false: the fake cannot populate",
                    "lock=true -> false: the fake cannot lock"), region.appliedOptions().downgrades());
            region.grow(1);
            assertEquals(2 * WASM_PAGE, lenient.statistics().committedBytes());
        }
    }

    @Test
    void shouldPopulateAndLockEveryCommit() {
        FakeVirtualMemory memory = fake(b -> b);
        try (Region region =
                builder(memory).withPopulate(true).withLock(true).withGuardPages(false).build().allocate(1, 2)) {
            region.grow(1);
            region.decommit(0, WASM_PAGE);
            region.recommit(0, WASM_PAGE);
        }
        assertEquals(List.of("reserve(131072, 4096, default)", "commit(+65536, default)", "populate(+65536)",
                "lock(+65536)",
                "commit(+65536, default)", "populate(+65536)", "lock(+65536)", "decommit(+65536)",
                "commit(+65536, default)", "populate(+65536)", "lock(+65536)", "release(131072)"), memory.calls());
    }

    @Test
    void shouldRefuseAtBuildOrDowngradeLockAndPopulateThePlatformSaysItCannotDo() {
        FakeVirtualMemory memory = fake(b -> b.pageLocking(false).prefaulting(false));
        UnsupportedOptionException lock = assertThrows(UnsupportedOptionException.class,
                () -> builder(memory).withLock(true).build());
        assertEquals("build(): lock=true is not available: platform fake cannot lock pages in memory",
                lock.getMessage());
        UnsupportedOptionException populate = assertThrows(UnsupportedOptionException.class,
                () -> builder(memory).withPopulate(true).build());
        assertEquals("build(): populate=true is not available: platform fake cannot prefault pages",
                populate.getMessage());
        try (Region region = builder(memory).withLock(true).withBestEffort(true).build().allocate(1, 2)) {
            assertFalse(region.appliedOptions().locked(), "never claims what was not applied");
            assertEquals(List.of("lock=true -> false: platform fake cannot lock pages in memory"),
                    region.appliedOptions().downgrades());
            region.grow(1);
        }
        assertTrue(memory.calls().stream().noneMatch(c -> c.startsWith("lock") || c.startsWith("populate")),
                () -> memory.calls().toString());
    }

    @Test
    void shouldRefuseAProtectionThePlatformLacksBeforeInvalidatingViews() {
        FakeVirtualMemory memory = fake(b -> b.protections(
                EnumSet.of(Protection.NONE, Protection.READ, Protection.READ_WRITE)));
        try (Region region = builder(memory).build().allocate(1, 1)) {
            MemorySegment view = region.segment();
            view.set(JAVA_BYTE, 0, (byte) 7);
            UnsupportedOptionException e = assertThrows(UnsupportedOptionException.class,
                    () -> region.protect(0, P, Protection.READ_EXECUTE));
            assertEquals("protect(byteOffset=0, byteLength=4096, protection=READ_EXECUTE): protection=READ_EXECUTE is"
                    + " not available: platform fake offers [NONE, READ, READ_WRITE]", e.getMessage());
            assertEquals(7, view.get(JAVA_BYTE, 0), "the view from before is still valid");
            assertSame(view, region.segment(), "and still the cached one");
            assertTrue(memory.calls().stream().noneMatch(c -> c.startsWith("protect")),
                    () -> memory.calls().toString());
            assertThrows(UnsupportedOptionException.class, () -> region.protect(0, 0, Protection.READ_EXECUTE),
                    "even an empty range");
        }
    }

    @Test
    void shouldPutProtectionsBackWhenTheKernelRefusesPartWay() {
        FakeVirtualMemory memory = fake(b -> b);
        try (Region region = builder(memory).withPageBytes(P).build().allocate(3, 3)) {
            region.protect(P, P, Protection.READ);
            region.segment(0, P).set(JAVA_BYTE, 0, (byte) 5);
            int before = memory.calls().size();
            memory.failNext("decommit");
            KernelException e = assertThrows(KernelException.class, () -> region.decommit(0, 3 * P));
            assertEquals(List.of("decommit(+12288)", "protect(+4096, READ_WRITE)", "protect(+4096, READ)",
                    "protect(+4096, READ_WRITE)"), memory.calls().subList(before, memory.calls().size()),
                    "each run gets its own protection back");
            assertEquals(0, e.getSuppressed().length);
            assertEquals(Protection.READ, region.protectionAt(P));
            assertEquals(5, region.segment(0, P).get(JAVA_BYTE, 0), "contents kept");

            memory.failNext("protect", 2);
            KernelException twice = assertThrows(KernelException.class,
                    () -> region.protect(0, 2 * P, Protection.NONE));
            assertEquals(1, twice.getSuppressed().length, "the refused restore is attached");
            String restore = twice.getSuppressed()[0].getMessage();
            assertTrue(restore.startsWith("restore: cannot restore READ_WRITE on 4096 bytes at 0x"), restore);
            assertEquals(Protection.NONE, region.protectionAt(0),
                    "what could not be put back is recorded inaccessible");
            assertEquals(Protection.READ, region.protectionAt(P), "what could, has its protection");
            assertThrows(IllegalStateException.class, () -> region.segment(0, 1), "no view of a range in doubt");
            region.protect(0, P, Protection.READ_WRITE);
            assertEquals(5, region.segment(0, P).get(JAVA_BYTE, 0));
        }
    }
}
