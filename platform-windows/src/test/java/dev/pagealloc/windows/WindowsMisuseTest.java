package dev.pagealloc.windows;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.Mockito.clearInvocations;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.spy;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoMoreInteractions;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.Units;
import dev.pagealloc.spi.Backing;
import dev.pagealloc.spi.PlatformRequest;
import dev.pagealloc.spi.SystemCallException;
import dev.pagealloc.testkit.sim.SimulatedWin32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Windows-specific misuse (freeing part of a reservation, protecting reserved but uncommitted
 * pages, releasing anywhere but at the base) is caught by the shared checks before Windows sees
 * it: a spy over the simulated kernel proves no call was made, and the simulation proves what
 * Windows would have said.
 */
class WindowsMisuseTest {
    private static final SimulatedWin32 SIM = new SimulatedWin32(32L << 20, 2L << 20, 0, false);
    private static final long PAGE = 65536;

    private Win32Kernel kernel;
    private Region region;

    @BeforeEach
    void allocateAndForgetTheSetUpCalls() {
        kernel = spy(new SimulatedWin32Kernel(SIM));
        PageAllocator allocator = PageAllocator.builder()
                .withProvider(new WindowsPlatformProvider(kernel, java.util.Optional::empty, "Windows 11")).build();
        region = allocator.allocate(2, 8);
        allocator.capabilities(); // the probe, run on first use, is set-up too
        clearInvocations(kernel);
    }

    @AfterAll
    static void checkNothingLeaked() {
        assertEquals(0, SIM.addressSpace().allocations().size(), "every reservation released");
        SIM.addressSpace().close();
    }

    @Test
    void shouldNeverAskWindowsToProtectReservedButUncommittedPages() {
        assertThrows(IndexOutOfBoundsException.class, () -> region.protect(2 * PAGE, PAGE, Protection.READ));
        region.decommit(PAGE, PAGE);
        clearInvocations(kernel);
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> region.protect(0, 2 * PAGE, Protection.READ));
        assertEquals("protect(byteOffset=0, byteLength=131072, protection=READ): the page at byteOffset=65536 is "
                + "decommitted; recommit it first", e.getMessage());
        verify(kernel, never()).virtualProtect(anyLong(), anyLong(), anyInt(), any());
        verifyNoMoreInteractions(kernel);
        region.deallocate();
    }

    @Test
    void shouldNeverAskWindowsToFreePartOfAReservationOrMisalignedPages() {
        assertThrows(IndexOutOfBoundsException.class, () -> region.decommit(PAGE, 4 * PAGE));
        assertThrows(IllegalArgumentException.class, () -> region.decommit(100, 4096));
        assertThrows(IllegalArgumentException.class, () -> region.discard(0, 123));
        verify(kernel, never()).virtualFree(anyLong(), anyLong(), anyInt());
        verifyNoMoreInteractions(kernel);
        region.deallocate();
    }

    @Test
    void shouldReleaseOnlyAtTheReservationsBaseWithSizeZero() {
        long reservation = region.address() - region.guardBeforeBytes();
        region.deallocate();
        verify(kernel).virtualFree(reservation, 0, Win32Abi.MEM_RELEASE);
        verifyNoMoreInteractions(kernel);
        region.deallocate();
        verifyNoMoreInteractions(kernel);
    }

    @Test
    void shouldNameAReleaseInsideAReservationInWords() throws SystemCallException {
        region.deallocate();
        WindowsPlatformProvider provider = new SimulatedWin32Kernel(SIM).provider();
        WindowsVirtualMemory memory = (WindowsVirtualMemory) provider
                .open(PlatformRequest.NONE);
        releaseInsideAReservationIsNamedInWords(memory);
    }

    /**
     * Releases a page inside a reservation of its own, which {@code MEM_RELEASE} refuses (it takes only
     * a reservation's base, VirtualFree docs), so that the test frees nothing it did not allocate; then
     * releases the reservation. The real-kernel test runs the same check.
     */
    static void releaseInsideAReservationIsNamedInWords(WindowsVirtualMemory memory) throws SystemCallException {
        long reservation = memory.reserve(2 * PAGE, PAGE, Backing.DEFAULT);
        try {
            long inside = reservation + PAGE;
            SystemCallException e = assertThrows(SystemCallException.class, () -> memory.release(inside, PAGE));
            assertEquals("ERROR_INVALID_ADDRESS", e.error().name());
            assertTrue(e.getMessage().startsWith("VirtualFree(" + Units.hex(inside)
                    + ", 0, MEM_RELEASE) -> ERROR_INVALID_ADDRESS (487): "), e.getMessage());
        } finally {
            memory.release(reservation, 2 * PAGE);
        }
    }

    @Test
    void shouldShowWhatWindowsWouldHaveSaidToEachMisuse() {
        long reservation = region.address() - region.guardBeforeBytes();
        assertEquals(0, SIM.virtualFree(region.address(), 0, Win32Abi.MEM_RELEASE), "release past the base");
        assertEquals(Win32Abi.ERROR_INVALID_ADDRESS, SIM.getLastError());
        assertEquals(0, SIM.virtualFree(reservation, PAGE, Win32Abi.MEM_RELEASE), "release with a size");
        assertEquals(Win32Abi.ERROR_INVALID_PARAMETER, SIM.getLastError());
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            assertEquals(0, SIM.virtualProtect(region.address() + 2 * PAGE, PAGE, Win32Abi.PAGE_READONLY,
                    arena.allocate(4)), "protect reserved pages");
            assertEquals(Win32Abi.ERROR_INVALID_ADDRESS, SIM.getLastError());
            assertEquals(0, SIM.virtualProtect(region.address(), PAGE, Win32Abi.PAGE_READONLY | Win32Abi.PAGE_READWRITE,
                    arena.allocate(4)), "protections that may not be combined");
            assertEquals(Win32Abi.ERROR_INVALID_PARAMETER, SIM.getLastError());
        }
        assertEquals(0, SIM.virtualFree(reservation, 0, Win32Abi.MEM_RELEASE | Win32Abi.MEM_DECOMMIT));
        assertEquals(Win32Abi.ERROR_INVALID_PARAMETER, SIM.getLastError());
        region.deallocate();
    }
}
