package dev.pagealloc.windows;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.HugePages;
import dev.pagealloc.api.KernelException;
import dev.pagealloc.api.NumaPolicy;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.Units;
import dev.pagealloc.api.UnsupportedOptionException;
import dev.pagealloc.spi.PlatformRequest;
import dev.pagealloc.spi.SystemCallException;
import dev.pagealloc.testkit.sim.Allocation;
import dev.pagealloc.testkit.sim.SimulatedAddressSpace.PageState;
import dev.pagealloc.testkit.sim.SimulatedWin32;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Large pages, NUMA, discard and error texts of the Windows module on simulated kernels. */
class WindowsExtrasSimulatedTest {
    private static final SimulatedWin32 PRIVILEGED = new SimulatedWin32(64L << 20, 2L << 20, 1, true);
    private static final SimulatedWin32 UNPRIVILEGED = new SimulatedWin32(64L << 20, 2L << 20, 0, false);
    private static final SimulatedWin32Kernel PRIVILEGED_KERNEL = new SimulatedWin32Kernel(PRIVILEGED);
    private static final SimulatedWin32Kernel UNPRIVILEGED_KERNEL = new SimulatedWin32Kernel(UNPRIVILEGED);

    @AfterAll
    static void checkNothingLeaked() {
        assertTrue(PRIVILEGED.addressSpace().allocations().isEmpty(),
                PRIVILEGED.addressSpace().allocations()::toString);
        assertTrue(UNPRIVILEGED.addressSpace().allocations().isEmpty(),
                UNPRIVILEGED.addressSpace().allocations()::toString);
        PRIVILEGED.addressSpace().close();
        UNPRIVILEGED.addressSpace().close();
    }

    @Test
    void shouldProbeGranularityLargePagesAndNodes() {
        Capabilities c = PageAllocator.builder().withProvider(PRIVILEGED_KERNEL.provider()).build().capabilities();
        assertEquals(4096, c.pageBytes());
        assertEquals(65536, c.allocationGranularityBytes());
        assertEquals(2L << 20, c.hugePageSizes().getFirst().pageBytes());
        assertEquals(2, c.numaNodes().size());
        assertEquals(java.util.List.of(4, 5, 6, 7), c.numaNodes().get(1).cpus());
        assertEquals(4L << 30, c.numaNodes().get(1).freeBytes());
        assertEquals(47, c.addressBits());
        assertEquals("amd64", c.architecture());
        assertEquals(Capabilities.OvercommitPolicy.COMMIT_CHARGE, c.overcommit());
    }

    @Test
    void shouldCountTheProcessorsOfEveryProcessorGroup() {
        SimulatedWin32 big = new SimulatedWin32(2L << 20, 0, 0, false);
        big.system().setProcessorGroups(64, 64, 16);
        try {
            WindowsPlatformProvider provider = new WindowsPlatformProvider(new SimulatedWin32Kernel(big),
                    java.util.Optional::empty, "Windows Server 2025");
            Capabilities c = PageAllocator.builder().withProvider(provider).build().capabilities();
            assertEquals(144, c.processors(), "GetSystemInfo alone would say 64, the processors of one group");
            assertEquals(144, c.numaNodes().getFirst().cpus().size());
        } finally {
            big.addressSpace().close();
        }
    }

    @Test
    void shouldBackRegionsWithLargePagesCommittedAtOnce() {
        PageAllocator allocator = PageAllocator.builder().withProvider(PRIVILEGED_KERNEL.provider())
                .withHugePages(HugePages.explicit(2L << 20)).withPageBytes(2L << 20).withGuardPages(false).build();
        try (Region region = allocator.allocate(1, 2)) {
            Allocation a = PRIVILEGED.addressSpace().allocationAt(region.address()).orElseThrow();
            assertTrue(a.largePages());
            assertTrue(PRIVILEGED.system().lockMemoryPrivilegeEnabled());
            assertEquals(0, PRIVILEGED.system().openTokenHandles(),
                    "the token opened to enable the privilege is closed");
            assertEquals(0, a.byteSize() % (2L << 20), "the reservation is rounded up to whole large pages");
            assertEquals(PageState.COMMITTED, PRIVILEGED.addressSpace().stateAt(region.address() + (2L << 20)),
                    "large pages are committed when reserved");
            region.segment().fill((byte) 4);
            region.decommit(0, 2L << 20);
            region.recommit(0, 2L << 20);
            assertEquals(0, region.segment().get(JAVA_BYTE, 12345), "a decommitted large page reads zero again");
            region.segment().fill((byte) 5);
            region.discard(0, 2L << 20);
            assertEquals(0, region.segment().get(JAVA_BYTE, 777), "a discarded large page reads zero");
            assertEquals(3, PRIVILEGED.addressSpace().accessAt(region.address()), "large pages stay PAGE_READWRITE");
        }
    }

    @Test
    void shouldRefuseWhatLargePagesCannotDoBecauseTheyAreAlwaysReadWrite() {
        UnsupportedOptionException guards = assertThrows(UnsupportedOptionException.class, () -> PageAllocator.builder()
                .withProvider(PRIVILEGED_KERNEL.provider()).withHugePages(HugePages.explicit(2L << 20)).build());
        assertTrue(guards.getMessage().contains("guard pages cannot be made inaccessible: large pages are always"
                + " read/write"), guards.getMessage());
        try (Region downgraded = PageAllocator.builder().withProvider(PRIVILEGED_KERNEL.provider())
                .withHugePages(HugePages.explicit(2L << 20)).withBestEffort(true).build().allocate(1, 1)) {
            assertFalse(downgraded.appliedOptions().hugePages() instanceof HugePages.Explicit);
            assertTrue(downgraded.appliedOptions().downgrades().getFirst().contains("guard pages cannot be made"
                    + " inaccessible"), downgraded.appliedOptions().downgrades()::toString);
            assertEquals(0, PRIVILEGED.addressSpace().accessAt(downgraded.address() - downgraded.guardBeforeBytes()),
                    "the guard of the base-page region is inaccessible");
        }
        try (Region region = PageAllocator.builder().withProvider(PRIVILEGED_KERNEL.provider())
                .withHugePages(HugePages.explicit(2L << 20)).withPageBytes(2L << 20).withGuardPages(false).build()
                .allocate(1, 1)) {
            MemorySegment view = region.segment();
            UnsupportedOptionException e = assertThrows(UnsupportedOptionException.class,
                    () -> region.protect(0, 2L << 20, Protection.READ));
            assertTrue(e.getMessage().contains("large pages are always read/write"), e.getMessage());
            assertEquals(3, PRIVILEGED.addressSpace().accessAt(region.address()), "still PAGE_READWRITE");
            view.set(JAVA_BYTE, 0, (byte) 7); // refused before any view was invalidated
            assertEquals(Protection.READ_WRITE, region.protectionAt(0));
            try (var arena = java.lang.foreign.Arena.ofConfined()) {
                assertEquals(0, PRIVILEGED.virtualProtect(region.address(), 4096, 0x02, arena.allocate(4)),
                        "the simulation refuses it too");
            }
        }
    }

    @Test
    void shouldNameSeLockMemoryPrivilegeWhenTheAccountLacksIt() {
        PageAllocator allocator = PageAllocator.builder().withProvider(UNPRIVILEGED_KERNEL.provider())
                .withHugePages(HugePages.explicit(2L << 20)).withPageBytes(2L << 20).withGuardPages(false).build();
        KernelException e = assertThrows(KernelException.class, () -> allocator.allocate(1, 1));
        assertEquals("ERROR_NOT_ALL_ASSIGNED", e.errorName());
        assertTrue(e.getMessage().contains("AdjustTokenPrivileges(token, FALSE, {SeLockMemoryPrivilege, "
                + "SE_PRIVILEGE_ENABLED},"
                + " 0, NULL, NULL) -> ERROR_NOT_ALL_ASSIGNED (1300): Not all privileges or groups referenced are "
                + "assigned to "
                + "the caller. (large pages need SeLockMemoryPrivilege, 'Lock pages in memory'"), e.getMessage());
        Region downgraded = PageAllocator.builder().withProvider(UNPRIVILEGED_KERNEL.provider())
                .withHugePages(HugePages.explicit(2L << 20)).withGuardPages(false).withBestEffort(true).build()
                .allocate(1, 1);
        assertFalse(downgraded.appliedOptions().hugePages() instanceof HugePages.Explicit);
        assertTrue(downgraded.appliedOptions().downgrades().getFirst().contains("SeLockMemoryPrivilege"));
        downgraded.deallocate();
    }

    @Test
    void shouldPlaceAOneNodePolicyOnThatNodeAndRefuseNodeSets() {
        try (Region region = PageAllocator.builder().withProvider(PRIVILEGED_KERNEL.provider())
                .withNumaPolicy(NumaPolicy.preferred(1)).build().allocate(1, 2)) {
            assertEquals(1, PRIVILEGED.addressSpace().kernelView().numaNodeOf(region.address()).orElseThrow());
        }
        UnsupportedOptionException e = assertThrows(UnsupportedOptionException.class, () -> PageAllocator.builder()
                .withProvider(PRIVILEGED_KERNEL.provider()).withNumaPolicy(NumaPolicy.interleave(0, 1)).build());
        assertEquals("build(): numaPolicy=Interleave[nodes=[0, 1]] is not available: Windows places a reservation "
                + "on one"
                + " node (VirtualAllocExNuma nndPreferred); it cannot spread pages over a node set or interleave them",
                e.getMessage());
    }

    @Test
    void shouldDowngradeANodeSetUnderBestEffortAndReportIt() {
        try (Region region = PageAllocator.builder().withProvider(PRIVILEGED_KERNEL.provider())
                .withNumaPolicy(NumaPolicy.bind(0, 1)).withBestEffort(true).build().allocate(1, 2)) {
            assertEquals(NumaPolicy.none(), region.appliedOptions().numaPolicy());
            assertEquals(java.util.List.of("numaPolicy=Bind[nodes=[0, 1]] -> " + NumaPolicy.none() + ": Windows"
                    + " places a reservation on one node (VirtualAllocExNuma nndPreferred); it cannot spread pages"
                    + " over a node set or interleave them"), region.appliedOptions().downgrades());
        }
    }

    @Test
    void shouldZeroDiscardedPagesGiveThemBackAndKeepTheirProtection() {
        try (Region region =
                PageAllocator.builder().withProvider(PRIVILEGED_KERNEL.provider()).build().allocate(3, 3)) {
            region.segment().fill((byte) 9);
            region.protect(65536, 65536, Protection.READ);
            region.protect(2 * 65536, 65536, Protection.NONE);
            region.discard(0, 3 * 65536);
            assertEquals(2 * 65536, PRIVILEGED.discardedBytes(),
                    "the accessible pages went to DiscardVirtualMemory, the inaccessible one was decommitted");
            assertEquals(0, region.segment(0, 2 * 65536).get(JAVA_BYTE, 65536 + 17));
            assertEquals(0, region.segment(0, 65536).get(JAVA_BYTE, 5));
            assertEquals(Protection.READ, region.protectionAt(65536));
            assertEquals(1, PRIVILEGED.addressSpace().accessAt(region.address() + 65536), "still PAGE_READONLY");
            assertEquals(PageState.COMMITTED, PRIVILEGED.addressSpace().stateAt(region.address() + 2 * 65536),
                    "inaccessible pages are recommitted PAGE_NOACCESS");
        }
    }

    @Test
    void shouldReportALockBeyondTheWorkingSetWithItsRemedy() {
        PageAllocator allocator =
                PageAllocator.builder().withProvider(PRIVILEGED_KERNEL.provider()).withLock(true).build();
        KernelException e = assertThrows(KernelException.class, () -> allocator.allocate(8, 8));
        assertTrue(e.getMessage().endsWith("-> ERROR_WORKING_SET_QUOTA (1453): Insufficient quota to complete the "
                + "requested "
                + "service. (VirtualLock is limited by the process's minimum working set; raise it with "
                + "SetProcessWorkingSetSize)"), e.getMessage());
    }

    @Test
    void shouldLockAgainWhatReleasedRegionsHadLocked() {
        PageAllocator allocator = PageAllocator.builder().withProvider(PRIVILEGED_KERNEL.provider()).withLock(true)
                .withGuardPages(false).build();
        for (int round = 0; round < 8; round++) {
            try (Region region = allocator.allocate(2, 2)) {
                assertEquals(2 * 65536, region.byteSize(), "round " + round);
                assertEquals(2 * 65536, PRIVILEGED.lockedBytes(), "round " + round);
            }
            assertEquals(0, PRIVILEGED.lockedBytes(), "released pages are not locked any more");
        }
    }

    @Test
    void shouldReportAKernelRefusalWithTheWin32CallInWords() {
        try (Region region =
                PageAllocator.builder().withProvider(PRIVILEGED_KERNEL.provider()).build().allocate(1, 4)) {
            PRIVILEGED.failures().failNext("VirtualAlloc", SimulatedWin32.ERROR_COMMITMENT_LIMIT);
            KernelException e = assertThrows(KernelException.class, () -> region.grow(1));
            long at = region.address() + 65536;
            assertEquals("grow(additionalPages=1): cannot commit 65536 bytes at " + Units.hex(at) + ": VirtualAlloc("
                    + Units.hex(at)
                    + ", 65536, MEM_COMMIT, PAGE_READWRITE) -> ERROR_COMMITMENT_LIMIT (1455): The paging "
                    + "file is too small for this operation to complete.", e.getMessage());
        }
    }

    @Test
    void shouldDiscardContentsAndFlushTheInstructionCache() throws SystemCallException {
        WindowsVirtualMemory memory = (WindowsVirtualMemory) PRIVILEGED_KERNEL.provider()
                .open(PlatformRequest.NONE);
        long a = memory.reserve(65536, 65536, dev.pagealloc.spi.Backing.DEFAULT);
        memory.commit(a, 65536, dev.pagealloc.spi.Backing.DEFAULT);
        memory.discardContents(a, 65536);
        memory.flushInstructionCache(a, 100);
        assertEquals(a, PRIVILEGED.instructionCacheFlushes().getLast().address());
        memory.release(a, 65536);
        SystemCallException e = assertThrows(SystemCallException.class, () -> memory.discardContents(a, 65536));
        assertEquals("ERROR_INVALID_ADDRESS", e.error().name());
    }
}
