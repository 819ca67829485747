package dev.pagealloc.testkit.sim;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The documented Win32 memory rules the simulation enforces, with the errors Windows returns. */
class SimulatedWin32Test {
    private static final int RESERVE = 0x2000;
    private static final int COMMIT = 0x1000;
    private static final int DECOMMIT = 0x4000;
    private static final int RELEASE = 0x8000;
    private static final int NOACCESS = 0x01;
    private static final int READONLY = 0x02;
    private static final int READWRITE = 0x04;
    private static final long GRANULE = 65536;

    private final Arena arena = Arena.ofConfined();
    private final SimulatedWin32 sim = new SimulatedWin32(16L << 20, 2L << 20, 1, false);

    @AfterEach
    void close() {
        arena.close();
        sim.addressSpace().close();
    }

    private void assertFails(long result, int error, String what) {
        assertEquals(0, result, what);
        assertEquals(error, sim.getLastError(), what);
    }

    @Test
    void shouldReserveOnTheGranularityAndCommitOnlyInsideOneReservation() {
        long a = sim.virtualAlloc(0, 3 * 4096, RESERVE, NOACCESS);
        assertEquals(0, a % GRANULE);
        long b = sim.virtualAlloc(0, GRANULE, RESERVE, NOACCESS);
        assertTrue(b % GRANULE == 0 && b != a);
        assertEquals(a + 4096, sim.virtualAlloc(a + 4097, 10, COMMIT, READWRITE), "commit rounds to pages");
        assertFails(sim.virtualAlloc(a + 3 * 4096, 4096, COMMIT, READWRITE), SimulatedWin32.ERROR_INVALID_ADDRESS,
                "commit past the reservation");
        assertFails(sim.virtualAlloc(a + 123, GRANULE, RESERVE, NOACCESS), SimulatedWin32.ERROR_INVALID_ADDRESS,
                "reserve over a reservation (the address rounds down to the granularity)");
        assertFails(sim.virtualAlloc(0, 0, RESERVE, NOACCESS), SimulatedWin32.ERROR_INVALID_PARAMETER, "size 0");
        assertFails(sim.virtualAlloc(0, 4096, RESERVE, READONLY | READWRITE), SimulatedWin32.ERROR_INVALID_PARAMETER,
                "protections that may not be combined");
        assertFails(sim.virtualAlloc(0, 1L << 30, RESERVE, NOACCESS), SimulatedWin32.ERROR_NOT_ENOUGH_MEMORY,
                "no room");
        assertEquals(1, sim.virtualFree(a, 0, RELEASE));
        assertEquals(1, sim.virtualFree(b, 0, RELEASE));
    }

    @Test
    void shouldProtectOnlyCommittedPagesAndReleaseOnlyAtTheBaseWithSizeZero() {
        long a = sim.virtualAlloc(0, 4 * 4096, RESERVE, NOACCESS);
        sim.virtualAlloc(a, 4096, COMMIT, READWRITE);
        MemorySegment old = arena.allocate(JAVA_INT);
        assertFails(sim.virtualProtect(a, 2 * 4096, READONLY, old), SimulatedWin32.ERROR_INVALID_ADDRESS,
                "protect reserved pages");
        assertEquals(1, sim.virtualProtect(a, 4096, READONLY, old));
        assertEquals(READWRITE, old.get(JAVA_INT, 0));
        assertFails(sim.virtualProtect(a, 4096, READONLY, MemorySegment.NULL), SimulatedWin32.ERROR_NOACCESS,
                "lpflOldProtect may not be NULL");
        assertFails(sim.virtualFree(a, 4096, RELEASE), SimulatedWin32.ERROR_INVALID_PARAMETER,
                "MEM_RELEASE with a size");
        assertFails(sim.virtualFree(a + 4096, 0, RELEASE), SimulatedWin32.ERROR_INVALID_ADDRESS,
                "MEM_RELEASE past the base");
        assertFails(sim.virtualFree(a, 0, RELEASE | DECOMMIT), SimulatedWin32.ERROR_INVALID_PARAMETER,
                "both free types");
        assertEquals(1, sim.virtualFree(a, 0, RELEASE));
        assertTrue(sim.addressSpace().allocations().isEmpty());
    }

    @Test
    void shouldZeroDecommittedPagesAndKeepResetOnes() {
        long a = sim.virtualAlloc(0, GRANULE, RESERVE | COMMIT, READWRITE);
        // SAFETY: the simulation's pages are real host memory, and this one was just committed.
        @SuppressWarnings("restricted")
        MemorySegment page = MemorySegment.ofAddress(a).reinterpret(4096);
        page.fill((byte) 6);
        assertEquals(a, sim.virtualAlloc(a, 4096, 0x80000, NOACCESS), "MEM_RESET");
        assertEquals(6, page.get(JAVA_BYTE, 9), "MEM_RESET leaves the contents undefined (here: kept)");
        assertEquals(1, sim.virtualFree(a, 4096, DECOMMIT));
        sim.virtualAlloc(a, 4096, COMMIT, READWRITE);
        assertEquals(0, page.get(JAVA_BYTE, 9), "recommitted pages read zero");
        MemorySegment info = arena.allocate(48, 8);
        assertEquals(48, sim.virtualQuery(a + 4096, info, 48));
        assertEquals(a + 4096, info.get(JAVA_LONG, 0));
        assertEquals(a, info.get(JAVA_LONG, 8), "AllocationBase");
        assertEquals(COMMIT, info.get(JAVA_INT, 32));
        assertEquals(READWRITE, info.get(JAVA_INT, 36));
        sim.virtualFree(a, 0, RELEASE);
    }

    @Test
    void shouldGuardLargePagesBehindTheLockMemoryPrivilege() {
        int large = RESERVE | COMMIT | 0x20000000;
        assertFails(sim.virtualAlloc(0, 2L << 20, large, READWRITE), SimulatedWin32.ERROR_PRIVILEGE_NOT_HELD,
                "not enabled");
        MemorySegment state = arena.allocate(16, 4);
        state.set(JAVA_INT, 0, 1);
        state.set(JAVA_INT, 4, 4);
        state.set(JAVA_INT, 12, 2);
        MemorySegment token = arena.allocate(JAVA_LONG);
        sim.system().openProcessToken(-1, 0x28, token);
        assertEquals(1, sim.system().adjustTokenPrivileges(token.get(JAVA_LONG, 0), 0, state, 0, MemorySegment.NULL,
                MemorySegment.NULL));
        assertEquals(SimulatedWin32.ERROR_NOT_ALL_ASSIGNED, sim.getLastError(), "succeeds, yet the account lacks it");
        sim.system().setLockMemoryPrivilegeHeld(true);
        sim.system().adjustTokenPrivileges(token.get(JAVA_LONG, 0), 0, state, 0, MemorySegment.NULL,
                MemorySegment.NULL);
        assertEquals(SimulatedWin32.ERROR_SUCCESS, sim.getLastError());
        assertFails(sim.virtualAlloc(0, 3L << 20, large, READWRITE), SimulatedWin32.ERROR_INVALID_PARAMETER,
                "not whole pages");
        assertFails(sim.virtualAlloc(0, 2L << 20, RESERVE | 0x20000000, READWRITE),
                SimulatedWin32.ERROR_INVALID_PARAMETER,
                "large pages are reserved and committed at once");
        long a = sim.virtualAlloc(0, 2L << 20, large, READWRITE);
        assertEquals(0, a % (2L << 20));
        MemorySegment old = arena.allocate(JAVA_INT);
        assertFails(sim.virtualProtect(a, 4096, NOACCESS, old), SimulatedWin32.ERROR_INVALID_PARAMETER,
                "large pages are always read/write");
        assertEquals(1, sim.virtualProtect(a, 4096, READWRITE, old));
        assertFails(sim.virtualAllocExNuma(-1, 0, GRANULE, RESERVE, NOACCESS, 2),
                SimulatedWin32.ERROR_INVALID_PARAMETER,
                "no node 2");
        sim.virtualFree(a, 0, RELEASE);
    }

    @Test
    void shouldDiscardOnlyReadWritePagesAndCountThemAsGivenBack() {
        long a = sim.virtualAlloc(0, GRANULE, RESERVE | COMMIT, READWRITE);
        MemorySegment old = arena.allocate(JAVA_INT);
        sim.virtualProtect(a + 4096, 4096, READONLY, old);
        assertEquals(SimulatedWin32.ERROR_INVALID_PARAMETER, sim.discardVirtualMemory(a, 2 * 4096),
                "a PAGE_READONLY page in the range");
        assertEquals(0, sim.discardedBytes(), "a failed call alters nothing");
        assertEquals(SimulatedWin32.ERROR_INVALID_PARAMETER, sim.discardVirtualMemory(a + 1, 4096), "not page-aligned");
        assertEquals(SimulatedWin32.ERROR_INVALID_PARAMETER, sim.discardVirtualMemory(a, 100), "not whole pages");
        assertEquals(SimulatedWin32.ERROR_SUCCESS, sim.discardVirtualMemory(a, 4096));
        assertEquals(4096, sim.discardedBytes());
        assertEquals(1, sim.virtualFree(a, 4096, DECOMMIT));
        assertEquals(0, sim.discardedBytes(), "decommitted pages are no longer discarded ones");
        sim.virtualFree(a, 0, RELEASE);
    }

    @Test
    void shouldLockUpToTheMinimumWorkingSetWithoutALockCount() {
        long a = sim.virtualAlloc(0, 4 * GRANULE, RESERVE | COMMIT, READWRITE);
        long quota = (SimulatedWin32.DEFAULT_MINIMUM_WORKING_SET_PAGES - SimulatedWin32.LOCK_OVERHEAD_PAGES) * 4096L;
        assertEquals(1, sim.virtualLock(a, quota));
        assertEquals(1, sim.virtualLock(a, quota), "locking locked pages again takes nothing more");
        assertEquals(quota, sim.lockedBytes());
        assertFails(sim.virtualLock(a + quota, 4096), SimulatedWin32.ERROR_WORKING_SET_QUOTA, "past the quota");
        assertEquals(1, sim.virtualFree(a, 0, RELEASE));
        assertEquals(0, sim.lockedBytes(), "released pages are not locked any more");
        long b = sim.virtualAlloc(0, 4 * GRANULE, RESERVE | COMMIT, READWRITE);
        assertEquals(1, sim.virtualLock(b, quota), "the quota is free again after the release");
        assertEquals(1, sim.virtualFree(b, GRANULE, DECOMMIT));
        assertEquals(quota - GRANULE, sim.lockedBytes(), "decommitted pages are not locked any more");
        assertFails(sim.virtualLock(b + GRANULE, 3 * GRANULE), SimulatedWin32.ERROR_WORKING_SET_QUOTA, "default");
        assertFails(sim.setProcessWorkingSetSize(-1, 1L << 20, 4096), SimulatedWin32.ERROR_INVALID_PARAMETER,
                "minimum above maximum");
        assertEquals(1, sim.setProcessWorkingSetSize(-1, 1L << 20, 2L << 20));
        assertEquals(1, sim.virtualLock(b + GRANULE, 3 * GRANULE), "a larger minimum working set allows more");
        sim.virtualFree(b, 0, RELEASE);
    }

    @Test
    void shouldAdjustPrivilegesOnlyThroughATokenOpenedForIt() {
        MemorySegment state = arena.allocate(16, 4);
        state.set(JAVA_INT, 0, 1);
        state.set(JAVA_INT, 4, 4);
        state.set(JAVA_INT, 12, 2);
        MemorySegment token = arena.allocate(JAVA_LONG);
        assertEquals(1, sim.system().openProcessToken(-1, 0x08, token), "TOKEN_QUERY only");
        long queryOnly = token.get(JAVA_LONG, 0);
        assertFails(sim.system().adjustTokenPrivileges(queryOnly, 0, state, 0, MemorySegment.NULL, MemorySegment.NULL),
                SimulatedWin32.ERROR_ACCESS_DENIED, "no TOKEN_ADJUST_PRIVILEGES");
        assertEquals(1, sim.system().openProcessToken(-1, 0x20, token), "TOKEN_ADJUST_PRIVILEGES only");
        long adjustOnly = token.get(JAVA_LONG, 0);
        assertTrue(adjustOnly != queryOnly);
        MemorySegment previous = arena.allocate(16, 4);
        assertFails(sim.system().adjustTokenPrivileges(adjustOnly, 0, state, 16, previous, arena.allocate(JAVA_INT)),
                SimulatedWin32.ERROR_ACCESS_DENIED, "PreviousState needs TOKEN_QUERY too");
        assertEquals(1, sim.system().adjustTokenPrivileges(adjustOnly, 0, state, 0, MemorySegment.NULL,
                MemorySegment.NULL));
        assertEquals(2, sim.system().openTokenHandles());
        assertEquals(1, sim.system().closeHandle(queryOnly));
        assertEquals(1, sim.system().closeHandle(adjustOnly));
        assertFails(sim.system().closeHandle(adjustOnly), SimulatedWin32.ERROR_INVALID_HANDLE, "closed twice");
        assertFails(sim.system().adjustTokenPrivileges(adjustOnly, 0, state, 0, MemorySegment.NULL, MemorySegment.NULL),
                SimulatedWin32.ERROR_INVALID_HANDLE, "a closed token");
    }

    @Test
    void shouldCountProcessorsPerGroupInSystemInfoAndAllGroupsInGetActiveProcessorCount() {
        sim.system().setProcessorGroups(64, 8);
        MemorySegment info = arena.allocate(48, 8);
        sim.system().getSystemInfo(info);
        assertEquals(64, info.get(JAVA_INT, 32), "dwNumberOfProcessors: the current group");
        assertEquals(72, sim.system().getActiveProcessorCount((short) 0xFFFF), "ALL_PROCESSOR_GROUPS");
        assertEquals(8, sim.system().getActiveProcessorCount((short) 1));
        assertFails(sim.system().getActiveProcessorCount((short) 2), SimulatedWin32.ERROR_INVALID_PARAMETER,
                "no group 2");
    }

    @Test
    void shouldWordErrorsAsWindowsDoes() {
        MemorySegment buffer = arena.allocate(1024);
        int chars = sim.formatMessageW(0x1200, 0, SimulatedWin32.ERROR_INVALID_ADDRESS, 0, buffer, 512, 0);
        assertEquals("Attempt to access invalid address.\r\n", buffer.getString(0, StandardCharsets.UTF_16LE));
        assertEquals(36, chars);
        assertFails(sim.formatMessageW(0x1200, 0, 99999, 0, buffer, 512, 0), SimulatedWin32.ERROR_MR_MID_NOT_FOUND,
                "unknown");
    }
}
