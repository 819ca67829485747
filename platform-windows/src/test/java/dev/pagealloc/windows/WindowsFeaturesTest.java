package dev.pagealloc.windows;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.pagealloc.api.Advice;
import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.FeatureSupport;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.spi.ExecutableMemory;
import dev.pagealloc.spi.MemoryImages;
import dev.pagealloc.spi.SystemCallException;
import dev.pagealloc.testkit.sim.SimulatedWin32;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.mockito.InOrder;

/**
 * The Windows platform features: the dual mapping's exact calls over a mocked kernel (the simulation
 * models no sections), advice and the feature list on the simulated kernel.
 */
class WindowsFeaturesTest {
    private static final long SECTION = 0x1234;
    private static final long WRITABLE = 0x3_0000_0000L;
    private static final long EXECUTABLE = 0x4_0000_0000L;
    private static final SimulatedWin32 SIM = new SimulatedWin32(64L << 20, 2L << 20, 0, false);
    private static final SimulatedWin32Kernel SIM_KERNEL = new SimulatedWin32Kernel(SIM);

    @AfterAll
    static void freeTheSimulation() {
        SIM.addressSpace().close();
    }

    private static Win32Kernel mockKernel() {
        Win32Kernel kernel = mock(Win32Kernel.class);
        when(kernel.getCurrentProcess()).thenReturn(-1L);
        doAnswer(i -> {
            MemorySegment buffer = i.getArgument(4);
            buffer.setString(0, "text of " + i.getArgument(2) + "\r\n", StandardCharsets.UTF_16LE);
            return ("text of " + i.getArgument(2) + "\r\n").length();
        }).when(kernel).formatMessageW(anyInt(), anyLong(), anyInt(), anyInt(), any(), anyInt(), anyLong());
        return kernel;
    }

    private static WindowsVirtualMemory memory(Win32Kernel kernel) {
        return new WindowsVirtualMemory(kernel, Capabilities.builder().platform("windows").pageBytes(4096)
                .allocationGranularityBytes(65536).build());
    }

    @Test
    void shouldDualMapASectionThroughAWritableViewAndAnExecutableView() throws SystemCallException {
        Win32Kernel kernel = mockKernel();
        when(kernel.createFileMappingW(-1, 0, 0x40, 0, 65536, 0)).thenReturn(SECTION);
        when(kernel.mapViewOfFileEx(SECTION, 0x2, 0, 0, 65536, 0)).thenReturn(WRITABLE);
        when(kernel.mapViewOfFileEx(SECTION, 0x4 | 0x20, 0, 0, 65536, 0)).thenReturn(EXECUTABLE);
        when(kernel.flushInstructionCache(-1, EXECUTABLE, 6)).thenReturn(1);
        when(kernel.unmapViewOfFile(anyLong())).thenReturn(1);
        when(kernel.closeHandle(SECTION)).thenReturn(1);
        ExecutableMemory executable = memory(kernel).feature(ExecutableMemory.class).orElseThrow();

        ExecutableMemory.DualMapping mapping = executable.map(65536);
        assertEquals(new ExecutableMemory.DualMapping(WRITABLE, EXECUTABLE, 65536, SECTION), mapping);
        executable.flushInstructionCache(EXECUTABLE, 6);
        executable.unmap(mapping);

        InOrder order = inOrder(kernel);
        order.verify(kernel).createFileMappingW(-1, 0, 0x40, 0, 65536, 0);
        order.verify(kernel).mapViewOfFileEx(SECTION, 0x2, 0, 0, 65536, 0);
        order.verify(kernel).mapViewOfFileEx(SECTION, 0x24, 0, 0, 65536, 0);
        order.verify(kernel).flushInstructionCache(-1, EXECUTABLE, 6);
        order.verify(kernel).unmapViewOfFile(EXECUTABLE);
        order.verify(kernel).unmapViewOfFile(WRITABLE);
        order.verify(kernel).closeHandle(SECTION);
    }

    @Test
    void shouldUnmapTheWritableViewAndCloseTheSectionWhenTheExecutableViewIsRefused() {
        Win32Kernel kernel = mockKernel();
        when(kernel.createFileMappingW(-1, 0, 0x40, 0, 65536, 0)).thenReturn(SECTION);
        when(kernel.mapViewOfFileEx(SECTION, 0x2, 0, 0, 65536, 0)).thenReturn(WRITABLE);
        when(kernel.getLastError()).thenReturn(5);
        ExecutableMemory executable = memory(kernel).feature(ExecutableMemory.class).orElseThrow();
        SystemCallException e = assertThrows(SystemCallException.class, () -> executable.map(65536));
        assertEquals("MapViewOfFileEx(0x1234, FILE_MAP_READ|FILE_MAP_EXECUTE, 0, 0, 65536, NULL) -> "
                + "ERROR_ACCESS_DENIED (5): text of 5", e.getMessage());
        verify(kernel).unmapViewOfFile(WRITABLE);
        verify(kernel).closeHandle(SECTION);
    }

    @Test
    void shouldDiscardOnDontNeedAndRefuseWhatWindowsHasNot() {
        PageAllocator allocator = PageAllocator.builder().withProvider(SIM_KERNEL.provider()).build();
        try (Region region = allocator.allocate(1, 2)) {
            long bytes = region.committedBytes();
            long before = SIM.discardedBytes();
            region.advise(0, bytes, Advice.DONT_NEED);
            assertEquals(before + bytes, SIM.discardedBytes(), "DiscardVirtualMemory");
            region.advise(0, bytes, Advice.REUSE);
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> region.advise(0, bytes, Advice.HUGE_PAGES));
            assertTrue(e.getMessage().contains("MEM_LARGE_PAGES"), e.getMessage());
            region.advise(0, bytes, Advice.NORMAL);
            UnsupportedOperationException purgeable = assertThrows(UnsupportedOperationException.class,
                    () -> region.advise(0, bytes, Advice.PURGEABLE));
            assertTrue(purgeable.getMessage().startsWith("advise(byteOffset=0, byteLength=" + bytes + "): this platform"
                    + " cannot follow PURGEABLE: OfferVirtualMemory, the Windows call, marks the pages inaccessible"),
                    purgeable.getMessage());
            for (Advice pattern : List.of(Advice.SEQUENTIAL, Advice.RANDOM)) {
                UnsupportedOperationException refused = assertThrows(UnsupportedOperationException.class,
                        () -> region.advise(0, bytes, pattern));
                assertTrue(refused.getMessage().contains("cannot follow " + pattern + ": Windows has no access-pattern"
                        + " advice for VirtualAlloc memory"), refused.getMessage());
            }
            assertEquals(Protection.READ_WRITE, region.protectionAt(0), "a refusal changes nothing");
        }
        List<FeatureSupport> features = allocator.features();
        assertEquals(List.of(true, false, true, false, false),
                features.stream().map(FeatureSupport::available).toList(), features.toString());
        assertFalse(memory(mockKernel()).feature(MemoryImages.class).available());
    }

    @Test
    void shouldReportTheSectionRefusalWithTheSizeSplitInTwoDwords() {
        Win32Kernel kernel = mockKernel();
        when(kernel.getLastError()).thenReturn(8);
        ExecutableMemory executable = memory(kernel).feature(ExecutableMemory.class).orElseThrow();
        SystemCallException e = assertThrows(SystemCallException.class, () -> executable.map(1L << 32));
        assertEquals("CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_EXECUTE_READWRITE, 1, 0, NULL) -> "
                + "ERROR_NOT_ENOUGH_MEMORY (8): text of 8", e.getMessage());
        verify(kernel).createFileMappingW(-1, 0, 0x40, 1, 0, 0);
        verify(kernel, never()).mapViewOfFileEx(anyLong(), anyInt(), anyInt(), anyInt(), anyLong(), anyLong());
    }
}
