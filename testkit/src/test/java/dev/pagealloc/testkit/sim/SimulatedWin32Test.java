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
        assertFails(sim.virtualAlloc(0, 1L << 30, RESERVE, NOACCESS), SimulatedWin32.ERROR_NOT_ENOUGH_MEMORY, "no room");
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
        assertFails(sim.virtualFree(a, 4096, RELEASE), SimulatedWin32.ERROR_INVALID_PARAMETER, "MEM_RELEASE with a size");
        assertFails(sim.virtualFree(a + 4096, 0, RELEASE), SimulatedWin32.ERROR_INVALID_ADDRESS, "MEM_RELEASE past the base");
        assertFails(sim.virtualFree(a, 0, RELEASE | DECOMMIT), SimulatedWin32.ERROR_INVALID_PARAMETER, "both free types");
        assertEquals(1, sim.virtualFree(a, 0, RELEASE));
        assertTrue(sim.addressSpace().allocations().isEmpty());
    }

    @Test
    void shouldZeroDecommittedPagesAndKeepResetOnes() {
        long a = sim.virtualAlloc(0, GRANULE, RESERVE | COMMIT, READWRITE);
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
        assertFails(sim.virtualAlloc(0, 2L << 20, large, READWRITE), SimulatedWin32.ERROR_PRIVILEGE_NOT_HELD, "not enabled");
        MemorySegment state = arena.allocate(16, 4);
        state.set(JAVA_INT, 0, 1);
        state.set(JAVA_INT, 4, 4);
        state.set(JAVA_INT, 12, 2);
        MemorySegment token = arena.allocate(JAVA_LONG);
        sim.openProcessToken(-1, 0x28, token);
        assertEquals(1, sim.adjustTokenPrivileges(token.get(JAVA_LONG, 0), 0, state, 0, MemorySegment.NULL, MemorySegment.NULL));
        assertEquals(SimulatedWin32.ERROR_NOT_ALL_ASSIGNED, sim.getLastError(), "succeeds, yet the account lacks it");
        sim.setLockMemoryPrivilegeHeld(true);
        sim.adjustTokenPrivileges(token.get(JAVA_LONG, 0), 0, state, 0, MemorySegment.NULL, MemorySegment.NULL);
        assertEquals(SimulatedWin32.ERROR_SUCCESS, sim.getLastError());
        assertFails(sim.virtualAlloc(0, 3L << 20, large, READWRITE), SimulatedWin32.ERROR_INVALID_PARAMETER, "not whole pages");
        assertFails(sim.virtualAlloc(0, 2L << 20, RESERVE | 0x20000000, READWRITE), SimulatedWin32.ERROR_INVALID_PARAMETER,
                "large pages are reserved and committed at once");
        long a = sim.virtualAlloc(0, 2L << 20, large, READWRITE);
        assertEquals(0, a % (2L << 20));
        assertFails(sim.virtualAllocExNuma(-1, 0, GRANULE, RESERVE, NOACCESS, 2), SimulatedWin32.ERROR_INVALID_PARAMETER,
                "no node 2");
        sim.virtualFree(a, 0, RELEASE);
    }

    @Test
    void shouldWordErrorsAsWindowsDoes() {
        MemorySegment buffer = arena.allocate(1024);
        int chars = sim.formatMessageW(0x1200, 0, SimulatedWin32.ERROR_INVALID_ADDRESS, 0, buffer, 512, 0);
        assertEquals("Attempt to access invalid address.\r\n", buffer.getString(0, StandardCharsets.UTF_16LE));
        assertEquals(36, chars);
        assertFails(sim.formatMessageW(0x1200, 0, 99999, 0, buffer, 512, 0), SimulatedWin32.ERROR_MR_MID_NOT_FOUND, "unknown");
    }
}
