package dev.pagealloc.windows;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoMoreInteractions;
import static org.mockito.Mockito.when;

import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.HugePages;
import dev.pagealloc.api.MemoryTagging;
import dev.pagealloc.api.NumaPolicy;
import dev.pagealloc.api.Protection;
import dev.pagealloc.spi.Backing;
import dev.pagealloc.spi.SystemCallException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mockito.InOrder;

/** The exact Win32 calls and flag values of each primitive, pinned with a mock kernel. */
class WindowsVirtualMemoryMockTest {
    private static final long PAGE = 4096;
    private static final long GRANULE = 65536;
    private static final long BASE = 0x2_0000_0000L;
    private static final long SELF = -1;

    private Win32Kernel kernel;
    private WindowsVirtualMemory memory;

    @BeforeEach
    void setUp() {
        kernel = mock(Win32Kernel.class);
        when(kernel.getCurrentProcess()).thenReturn(SELF);
        doAnswer(i -> {
            MemorySegment buffer = i.getArgument(4);
            buffer.setString(0, "text of " + i.getArgument(2) + "\r\n", StandardCharsets.UTF_16LE);
            return ("text of " + i.getArgument(2) + "\r\n").length();
        }).when(kernel).formatMessageW(anyInt(), anyLong(), anyInt(), anyInt(), any(), anyInt(), anyLong());
        memory = new WindowsVirtualMemory(kernel, Capabilities.builder().platform("windows").pageBytes(PAGE)
                .allocationGranularityBytes(GRANULE).build());
    }

    @Test
    void shouldReserveNoAccessAndCommitReadWrite() throws SystemCallException {
        when(kernel.virtualAlloc(0, 16 * GRANULE, 0x2000, 0x01)).thenReturn(BASE);
        when(kernel.virtualAlloc(BASE + GRANULE, 2 * GRANULE, 0x1000, 0x04)).thenReturn(BASE + GRANULE);
        assertEquals(BASE, memory.reserve(16 * GRANULE, GRANULE, Backing.DEFAULT));
        memory.commit(BASE + GRANULE, 2 * GRANULE, Backing.DEFAULT);
        InOrder order = inOrder(kernel);
        order.verify(kernel).virtualAlloc(0, 16 * GRANULE, Win32Abi.MEM_RESERVE, Win32Abi.PAGE_NOACCESS);
        order.verify(kernel).virtualAlloc(BASE + GRANULE, 2 * GRANULE, Win32Abi.MEM_COMMIT, Win32Abi.PAGE_READWRITE);
        verifyNoMoreInteractions(kernel);
    }

    @Test
    void shouldProtectDecommitAndReleaseWithTheDocumentedArguments() throws SystemCallException {
        when(kernel.virtualProtect(anyLong(), anyLong(), anyInt(), any())).thenReturn(1);
        when(kernel.virtualFree(anyLong(), anyLong(), anyInt())).thenReturn(1);
        memory.protect(BASE, PAGE, Protection.READ);
        memory.protect(BASE, PAGE, Protection.READ_EXECUTE);
        memory.protect(BASE, PAGE, Protection.NONE);
        memory.protect(BASE, PAGE, Protection.READ_WRITE);
        memory.decommit(BASE, 2 * PAGE, Backing.DEFAULT);
        memory.release(BASE, 16 * GRANULE);
        InOrder order = inOrder(kernel);
        order.verify(kernel).virtualProtect(eq(BASE), eq(PAGE), eq(0x02), any());
        order.verify(kernel).virtualProtect(eq(BASE), eq(PAGE), eq(0x20), any());
        order.verify(kernel).virtualProtect(eq(BASE), eq(PAGE), eq(0x01), any());
        order.verify(kernel).virtualProtect(eq(BASE), eq(PAGE), eq(0x04), any());
        order.verify(kernel).virtualFree(BASE, 2 * PAGE, 0x4000);
        order.verify(kernel).virtualFree(BASE, 0, 0x8000);
        verifyNoMoreInteractions(kernel);
    }

    @Test
    void shouldNameTheCallTheErrorAndItsTextWhenAllocFails() {
        when(kernel.getLastError()).thenReturn(Win32Abi.ERROR_COMMITMENT_LIMIT);
        SystemCallException e = assertThrows(SystemCallException.class,
                () -> memory.commit(BASE, GRANULE, Backing.DEFAULT));
        assertEquals("VirtualAlloc(0x200000000, 65536, MEM_COMMIT, PAGE_READWRITE) -> ERROR_COMMITMENT_LIMIT (1455): "
                + "text of 1455", e.getMessage());
        InOrder order = inOrder(kernel);
        order.verify(kernel).virtualAlloc(BASE, GRANULE, 0x1000, 0x04);
        order.verify(kernel).getLastError();
        order.verify(kernel).formatMessageW(eq(0x1200), eq(0L), eq(1455), eq(0), any(), eq(512), eq(0L));
    }

    @Test
    void shouldPreferTheNodeOfAOneNodePolicyWithVirtualAllocExNuma() throws SystemCallException {
        Backing onNodeOne = new Backing(HugePages.systemDefault(), NumaPolicy.bind(1), MemoryTagging.NONE);
        when(kernel.virtualAllocExNuma(SELF, 0, GRANULE, 0x2000, 0x01, 1)).thenReturn(BASE);
        assertEquals(BASE, memory.reserve(GRANULE, GRANULE, onNodeOne));
        verify(kernel).virtualAllocExNuma(SELF, 0, GRANULE, 0x2000, 0x01, 1);
        verify(kernel, never()).virtualAlloc(anyLong(), anyLong(), anyInt(), anyInt());
    }

    @Test
    void shouldReserveAndCommitLargePagesAtOnceAfterEnablingThePrivilege() throws SystemCallException {
        Backing large = new Backing(HugePages.explicit(2L << 20), NumaPolicy.none(), MemoryTagging.NONE);
        when(kernel.openProcessToken(eq(SELF), eq(0x28), any())).thenAnswer(i -> {
            ((MemorySegment) i.getArgument(2)).set(JAVA_LONG, 0, 0x77L);
            return 1;
        });
        when(kernel.lookupPrivilegeValueW(any(), any(), any())).thenAnswer(i -> {
            String name = ((MemorySegment) i.getArgument(1)).getString(0, StandardCharsets.UTF_16LE);
            assertEquals("SeLockMemoryPrivilege", name);
            ((MemorySegment) i.getArgument(2)).set(JAVA_INT, 0, 4);
            return 1;
        });
        when(kernel.adjustTokenPrivileges(eq(0x77L), eq(0), any(), eq(0), any(), any())).thenAnswer(i -> {
            MemorySegment state = i.getArgument(2);
            assertEquals(1, state.get(JAVA_INT, 0), "PrivilegeCount");
            assertEquals(4, state.get(JAVA_INT, 4), "Luid.LowPart");
            assertEquals(2, state.get(JAVA_INT, 12), "SE_PRIVILEGE_ENABLED");
            return 1;
        });
        when(kernel.virtualAlloc(0, 6L << 20, 0x20003000, 0x04)).thenReturn(BASE);
        // 4 MiB + 4 KiB is rounded up to whole 2 MiB large pages.
        assertEquals(BASE, memory.reserve((4L << 20) + PAGE, 2L << 20, large));
        memory.commit(BASE, 2L << 20, large);
        memory.protect(BASE, 2L << 20, Protection.READ_WRITE);
        InOrder order = inOrder(kernel);
        order.verify(kernel).adjustTokenPrivileges(eq(0x77L), eq(0), any(), eq(0), any(), any());
        order.verify(kernel).getLastError();
        order.verify(kernel).closeHandle(0x77L);
        order.verify(kernel).virtualAlloc(0, 6L << 20,
                Win32Abi.MEM_RESERVE | Win32Abi.MEM_COMMIT | Win32Abi.MEM_LARGE_PAGES,
                Win32Abi.PAGE_READWRITE);
        // "The memory is always read/write" (Large-Page Support): nothing depends on VirtualProtect.
        verify(kernel, never()).virtualProtect(anyLong(), anyLong(), anyInt(), any());
        verify(kernel, never()).virtualFree(anyLong(), anyLong(), anyInt());
    }

    @Test
    void shouldRefuseNarrowingLargePagesBeforeAnyCall() throws SystemCallException {
        Backing large = new Backing(HugePages.explicit(2L << 20), NumaPolicy.none(), MemoryTagging.NONE);
        when(kernel.openProcessToken(eq(SELF), eq(0x28), any())).thenReturn(1);
        when(kernel.lookupPrivilegeValueW(any(), any(), any())).thenReturn(1);
        when(kernel.adjustTokenPrivileges(anyLong(), eq(0), any(), eq(0), any(), any())).thenReturn(1);
        when(kernel.virtualAlloc(0, 2L << 20, 0x20003000, 0x04)).thenReturn(BASE);
        memory.reserve(2L << 20, 2L << 20, large);
        SystemCallException e = assertThrows(SystemCallException.class,
                () -> memory.protect(BASE, PAGE, Protection.READ));
        assertEquals("VirtualProtect(0x200000000, 4096, PAGE_READONLY, &old) -> ERROR_NOT_SUPPORTED (50): not called: "
                + "large pages are always read/write (Large-Page Support: \"The memory is always read/write and "
                + "nonpageable\")", e.getMessage());
        verify(kernel, never()).virtualProtect(anyLong(), anyLong(), anyInt(), any());
        when(kernel.virtualFree(BASE, 0, 0x8000)).thenReturn(1);
        when(kernel.virtualProtect(anyLong(), anyLong(), anyInt(), any())).thenReturn(1);
        memory.release(BASE, 2L << 20);
        memory.protect(BASE, PAGE, Protection.READ);
        verify(kernel).virtualProtect(eq(BASE), eq(PAGE), eq(0x02), any());
    }

    @Test
    void shouldFindAnAlignedHoleForAlignmentsAboveTheGranularity() throws SystemCallException {
        long alignment = 1L << 20;
        when(kernel.virtualAlloc(0, GRANULE + alignment, 0x2000, 0x01)).thenReturn(BASE + GRANULE);
        when(kernel.virtualFree(BASE + GRANULE, 0, 0x8000)).thenReturn(1);
        when(kernel.virtualAlloc(BASE + alignment, GRANULE, 0x2000, 0x01)).thenReturn(BASE + alignment);
        assertEquals(BASE + alignment, memory.reserve(GRANULE, alignment, Backing.DEFAULT));
    }

    @Test
    void shouldDiscardByZeroingAccessibleRunsAndRecommittingInaccessibleOnes() throws SystemCallException {
        doAnswer(i -> {
            long at = i.getArgument(0);
            MemorySegment info = i.getArgument(1);
            info.set(JAVA_LONG, 0, at);
            info.set(JAVA_LONG, 24, PAGE);
            info.set(JAVA_INT, 36, at == BASE ? Win32Abi.PAGE_NOACCESS : Win32Abi.PAGE_READONLY);
            return 48L;
        }).when(kernel).virtualQuery(anyLong(), any(), anyLong());
        when(kernel.virtualFree(anyLong(), anyLong(), anyInt())).thenReturn(1);
        when(kernel.virtualAlloc(BASE, PAGE, 0x1000, 0x01)).thenReturn(BASE);
        // The read-only page is real memory: the fill must land somewhere writable.
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment page = arena.allocate(PAGE, PAGE);
            page.fill((byte) 5);
            long readOnly = page.address();
            doAnswer(i -> {
                long at = i.getArgument(0);
                MemorySegment info = i.getArgument(1);
                info.set(JAVA_LONG, 0, at);
                info.set(JAVA_LONG, 24, PAGE);
                info.set(JAVA_INT, 36, Win32Abi.PAGE_READONLY);
                return 48L;
            }).when(kernel).virtualQuery(eq(readOnly), any(), anyLong());
            when(kernel.virtualProtect(anyLong(), anyLong(), anyInt(), any())).thenReturn(1);
            memory.discard(BASE, PAGE, Backing.DEFAULT);
            memory.discard(readOnly, PAGE, Backing.DEFAULT);
            assertEquals(-1, page.byteSize() == PAGE ? MemorySegment.mismatch(page, 0, PAGE,
                    MemorySegment.ofArray(new byte[(int) PAGE]), 0, PAGE) : 0);
            InOrder order = inOrder(kernel);
            order.verify(kernel).virtualFree(BASE, PAGE, Win32Abi.MEM_DECOMMIT);
            order.verify(kernel).virtualAlloc(BASE, PAGE, Win32Abi.MEM_COMMIT, Win32Abi.PAGE_NOACCESS);
            order.verify(kernel).virtualProtect(eq(readOnly), eq(PAGE), eq(Win32Abi.PAGE_READWRITE), any());
            // Zeroed, then given back while PAGE_READWRITE, the only protection DiscardVirtualMemory takes.
            order.verify(kernel).discardVirtualMemory(readOnly, PAGE);
            order.verify(kernel).virtualProtect(eq(readOnly), eq(PAGE), eq(Win32Abi.PAGE_READONLY), any());
        }
    }

    @Test
    void shouldRefuseToDiscardContentsOfPagesThatAreNotReadWrite() {
        doAnswer(i -> {
            MemorySegment info = i.getArgument(1);
            info.set(JAVA_LONG, 0, (long) i.getArgument(0));
            info.set(JAVA_LONG, 24, PAGE);
            info.set(JAVA_INT, 32, Win32Abi.MEM_COMMIT);
            info.set(JAVA_INT, 36, Win32Abi.PAGE_EXECUTE_READ);
            return 48L;
        }).when(kernel).virtualQuery(anyLong(), any(), anyLong());
        SystemCallException e = assertThrows(SystemCallException.class, () -> memory.discardContents(BASE, PAGE));
        assertEquals("DiscardVirtualMemory(0x200000000, 4096) -> ERROR_INVALID_PARAMETER (87): not called: the pages at"
                + " 0x200000000 are PAGE_EXECUTE_READ, and DiscardVirtualMemory fails unless the memory protection is"
                + " PAGE_READWRITE", e.getMessage());
        verify(kernel, never()).discardVirtualMemory(anyLong(), anyLong());
    }

    @Test
    void shouldFallBackToMemResetWhereDiscardVirtualMemoryIsMissing() throws SystemCallException {
        doAnswer(i -> {
            MemorySegment info = i.getArgument(1);
            info.set(JAVA_LONG, 0, (long) i.getArgument(0));
            info.set(JAVA_LONG, 24, PAGE);
            info.set(JAVA_INT, 36, Win32Abi.PAGE_READWRITE);
            return 48L;
        }).when(kernel).virtualQuery(anyLong(), any(), anyLong());
        when(kernel.discardVirtualMemory(BASE, PAGE))
                .thenThrow(new UnsupportedOperationException("DiscardVirtualMemory"));
        when(kernel.virtualAlloc(BASE, PAGE, 0x80000, 0x01)).thenReturn(BASE);
        memory.discardContents(BASE, PAGE);
        verify(kernel).virtualAlloc(BASE, PAGE, Win32Abi.MEM_RESET, Win32Abi.PAGE_NOACCESS);
    }

    @Test
    void shouldFlushTheInstructionCacheOfTheCurrentProcess() throws SystemCallException {
        when(kernel.flushInstructionCache(SELF, BASE, 64)).thenReturn(1);
        memory.flushInstructionCache(BASE, 64);
        verify(kernel).flushInstructionCache(SELF, BASE, 64);
    }
}
