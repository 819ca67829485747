package dev.pagealloc.macos;

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
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mockito.InOrder;

/** The exact Mach calls and flag values of each primitive, pinned with a mock kernel. */
class MacVirtualMemoryMockTest {
    private static final int TASK = 0x103;
    private static final long PAGE = 16 * 1024;
    private static final long BASE = 0x1_2000_0000L;
    /** {@code VM_FLAGS_ANYWHERE | VM_MAKE_TAG(240)}. */
    private static final int ANYWHERE_TAGGED = 0xF0000001;
    /** {@code VM_FLAGS_FIXED | VM_FLAGS_OVERWRITE | VM_MAKE_TAG(240)}. */
    private static final int OVERWRITE_TAGGED = 0xF0004000;

    private MachKernel kernel;
    private MacVirtualMemory memory;
    private final List<Long> allocateInputs = new ArrayList<>();

    @BeforeEach
    void setUp() {
        kernel = mock(MachKernel.class);
        when(kernel.machTaskSelf()).thenReturn(TASK);
        when(kernel.machErrorString(anyInt())).thenAnswer(i -> "text of " + i.getArgument(0));
        when(kernel.strerror(anyInt())).thenReturn("Cannot allocate memory");
        memory = new MacVirtualMemory(kernel, Capabilities.builder().platform("macos").pageBytes(PAGE).build(), 240);
        verify(kernel).machTaskSelf();
    }

    private void allocateReturns(long address) {
        doAnswer(i -> {
            MemorySegment out = i.getArgument(1);
            allocateInputs.add(out.get(JAVA_LONG, 0));
            out.set(JAVA_LONG, 0, address);
            return MachAbi.KERN_SUCCESS;
        }).when(kernel).machVmAllocate(eq(TASK), any(), anyLong(), anyInt());
    }

    @Test
    void shouldReserveWithOneTaggedAllocationMadeInaccessible() throws SystemCallException {
        allocateReturns(BASE);
        assertEquals(BASE, memory.reserve(64 * PAGE, PAGE, Backing.DEFAULT));
        InOrder order = inOrder(kernel);
        order.verify(kernel).machVmAllocate(eq(TASK), any(), eq(64 * PAGE), eq(ANYWHERE_TAGGED));
        order.verify(kernel).machVmProtect(TASK, BASE, 64 * PAGE, 0, MachAbi.VM_PROT_NONE);
        verifyNoMoreInteractions(kernel);
    }

    @Test
    void shouldOverAllocateAndTrimForALargerAlignment() throws SystemCallException {
        long alignment = 2L << 20;
        long unaligned = BASE + PAGE;
        allocateReturns(unaligned);
        long size = 4 * PAGE;
        assertEquals(BASE + alignment, memory.reserve(size, alignment, Backing.DEFAULT));
        InOrder order = inOrder(kernel);
        order.verify(kernel).machVmAllocate(eq(TASK), any(), eq(size + alignment - PAGE), eq(ANYWHERE_TAGGED));
        order.verify(kernel).machVmDeallocate(TASK, unaligned, alignment - PAGE);
        order.verify(kernel).machVmProtect(TASK, BASE + alignment, size, 0, MachAbi.VM_PROT_NONE);
        verifyNoMoreInteractions(kernel);
    }

    @Test
    void shouldCommitSuperpagesByMappingThemOverTheReservedRange() throws SystemCallException {
        Backing superpages = new Backing(HugePages.explicit(2L << 20), NumaPolicy.none(), MemoryTagging.NONE);
        allocateReturns(BASE);
        memory.commit(BASE, 4L << 20, superpages);
        memory.decommit(BASE, 4L << 20, superpages);
        InOrder order = inOrder(kernel);
        order.verify(kernel).machVmAllocate(eq(TASK), any(), eq(4L << 20), eq(OVERWRITE_TAGGED | 0x20000));
        order.verify(kernel).machVmProtect(TASK, BASE, 4L << 20, 0, 0);
        order.verify(kernel).machVmAllocate(eq(TASK), any(), eq(4L << 20), eq(OVERWRITE_TAGGED));
        order.verify(kernel).machVmProtect(TASK, BASE, 4L << 20, 0, 0);
        verifyNoMoreInteractions(kernel);
        assertEquals(List.of(BASE, BASE), allocateInputs);
    }

    @Test
    void shouldReleaseTheAllocationWhenMakingItInaccessibleFails() {
        allocateReturns(BASE);
        when(kernel.machVmProtect(TASK, BASE, PAGE, 0, 0)).thenReturn(MachAbi.KERN_PROTECTION_FAILURE);
        SystemCallException e =
                assertThrows(SystemCallException.class, () -> memory.reserve(PAGE, PAGE, Backing.DEFAULT));
        assertEquals("mach_vm_protect(mach_task_self(), 0x120000000, 16384, FALSE, VM_PROT_NONE) -> "
                + "KERN_PROTECTION_FAILURE (2): text of 2", e.getMessage());
        verify(kernel).machVmDeallocate(TASK, BASE, PAGE);
    }

    @Test
    void shouldRollBackOnlyTheAlignedRangeOnceHeadAndTailAreGivenBack() {
        long alignment = 2L << 20;
        long unaligned = BASE + 2 * PAGE;
        long size = 4 * PAGE;
        allocateReturns(unaligned);
        when(kernel.machVmProtect(TASK, BASE + alignment, size, 0, 0)).thenReturn(MachAbi.KERN_RESOURCE_SHORTAGE);
        assertThrows(SystemCallException.class, () -> memory.reserve(size, alignment, Backing.DEFAULT));
        InOrder order = inOrder(kernel);
        order.verify(kernel).machVmDeallocate(TASK, unaligned, alignment - 2 * PAGE);
        order.verify(kernel).machVmDeallocate(TASK, BASE + alignment + size, PAGE);
        order.verify(kernel).machVmProtect(TASK, BASE + alignment, size, 0, 0);
        order.verify(kernel).machVmDeallocate(TASK, BASE + alignment, size);
        verify(kernel, org.mockito.Mockito.never()).machVmDeallocate(TASK, unaligned, size + alignment - PAGE);
    }

    @Test
    void shouldRollBackWhatIsLeftWhenTrimmingTheTailFails() {
        long alignment = 2L << 20;
        long unaligned = BASE + 2 * PAGE;
        long size = 4 * PAGE;
        allocateReturns(unaligned);
        when(kernel.machVmDeallocate(TASK, BASE + alignment + size, PAGE)).thenReturn(MachAbi.KERN_INVALID_ARGUMENT);
        assertThrows(SystemCallException.class, () -> memory.reserve(size, alignment, Backing.DEFAULT));
        verify(kernel).machVmDeallocate(TASK, BASE + alignment, size + PAGE);
    }

    @Test
    void shouldNameTheCallAndTheKernReturnWhenReservingFails() {
        when(kernel.machVmAllocate(eq(TASK), any(), anyLong(), anyInt())).thenReturn(MachAbi.KERN_NO_SPACE);
        SystemCallException e =
                assertThrows(SystemCallException.class, () -> memory.reserve(PAGE, PAGE, Backing.DEFAULT));
        assertEquals("mach_vm_allocate(mach_task_self(), &0x0, 16384, VM_FLAGS_ANYWHERE|VM_MAKE_TAG(240)) -> "
                + "KERN_NO_SPACE (3): text of 3", e.getMessage());
        assertEquals(3, e.error().code());
    }

    @Test
    void shouldCommitAndProtectWithMachVmProtectAlone() throws SystemCallException {
        memory.commit(BASE, 2 * PAGE, Backing.DEFAULT);
        memory.protect(BASE, PAGE, Protection.READ);
        memory.protect(BASE, PAGE, Protection.READ_EXECUTE);
        memory.protect(BASE, PAGE, Protection.NONE);
        InOrder order = inOrder(kernel);
        order.verify(kernel).machVmProtect(TASK, BASE, 2 * PAGE, 0, 3);
        order.verify(kernel).machVmProtect(TASK, BASE, PAGE, 0, 1);
        order.verify(kernel).machVmProtect(TASK, BASE, PAGE, 0, 5);
        order.verify(kernel).machVmProtect(TASK, BASE, PAGE, 0, 0);
        verifyNoMoreInteractions(kernel);
    }

    @Test
    void shouldDecommitByClosingThenOverwritingWithFreshMemoryThenClosingIt() throws SystemCallException {
        allocateReturns(BASE + PAGE);
        memory.decommit(BASE + PAGE, 2 * PAGE, Backing.DEFAULT);
        InOrder order = inOrder(kernel);
        // Closed first: a refusal there has replaced nothing.
        order.verify(kernel).machVmProtect(TASK, BASE + PAGE, 2 * PAGE, 0, 0);
        order.verify(kernel).machVmAllocate(eq(TASK), any(), eq(2 * PAGE), eq(OVERWRITE_TAGGED));
        order.verify(kernel).machVmProtect(TASK, BASE + PAGE, 2 * PAGE, 0, 0);
        verifyNoMoreInteractions(kernel);
        assertEquals(List.of(BASE + PAGE), allocateInputs, "VM_FLAGS_FIXED at the range itself");
    }

    @Test
    void shouldDiscardByOverwritingAndRestoringEachRunsProtection() throws SystemCallException {
        // The kernel's map: [BASE, +PAGE) read-write, [BASE+PAGE, +2 PAGE) read-only.
        doAnswer(i -> {
            MemorySegment address = i.getArgument(1);
            long at = address.get(JAVA_LONG, 0);
            boolean first = at < BASE + PAGE;
            address.set(JAVA_LONG, 0, first ? BASE : BASE + PAGE);
            ((MemorySegment) i.getArgument(2)).set(JAVA_LONG, 0, first ? PAGE : 2 * PAGE);
            ((MemorySegment) i.getArgument(4)).set(JAVA_INT, 0, first ? 3 : 1);
            return MachAbi.KERN_SUCCESS;
        }).when(kernel).machVmRegion(eq(TASK), any(), any(), eq(9), any(), any(), any());
        allocateReturns(BASE);
        memory.discard(BASE, 3 * PAGE, Backing.DEFAULT);
        InOrder order = inOrder(kernel);
        order.verify(kernel, org.mockito.Mockito.times(2)).machVmRegion(eq(TASK), any(), any(), eq(9), any(), any(),
                any());
        order.verify(kernel).machVmAllocate(eq(TASK), any(), eq(3 * PAGE), eq(OVERWRITE_TAGGED));
        order.verify(kernel).machVmProtect(TASK, BASE + PAGE, 2 * PAGE, 0, 1);
        verifyNoMoreInteractions(kernel);
    }

    @Test
    void shouldReleaseWithOneDeallocate() throws SystemCallException {
        memory.release(BASE, 8 * PAGE);
        verify(kernel).machVmDeallocate(TASK, BASE, 8 * PAGE);
        verifyNoMoreInteractions(kernel);
    }

    @Test
    void shouldLockWithMlockAndNameTheErrno() {
        when(kernel.mlock(BASE, PAGE)).thenReturn(-1);
        when(kernel.errno()).thenReturn(MachAbi.ENOMEM);
        SystemCallException e = assertThrows(SystemCallException.class, () -> memory.lock(BASE, PAGE));
        assertEquals("mlock(0x120000000, 16384) -> ENOMEM (12): Cannot allocate memory", e.getMessage());
    }

    @Test
    void shouldCopyPagesWithMachVmCopyAndRefuseMisalignedRanges() throws SystemCallException {
        memory.copyPages(BASE, BASE + 4 * PAGE, 2 * PAGE);
        verify(kernel).machVmCopy(TASK, BASE, 2 * PAGE, BASE + 4 * PAGE);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> memory.copyPages(BASE + 1, BASE, PAGE));
        assertEquals("copyPages(sourceAddress=0x120000001, destinationAddress=0x120000000, byteSize=16384): not "
                + "multiples "
                + "of the page size 16384", e.getMessage());
        verifyNoMoreInteractions(kernel);
    }

    @Test
    void shouldMarkReusableAndReusedWithMadvise() throws SystemCallException {
        memory.markReusable(BASE, PAGE);
        memory.markReused(BASE, PAGE);
        InOrder order = inOrder(kernel);
        order.verify(kernel).madvise(BASE, PAGE, 7);
        order.verify(kernel).madvise(BASE, PAGE, 8);
        verifyNoMoreInteractions(kernel);
    }

    @Test
    void shouldRefuseAnOutOfRangeTag() {
        assertThrows(IllegalArgumentException.class, () -> new MacVirtualMemory(kernel,
                Capabilities.builder().platform("macos").pageBytes(PAGE).build(), 256));
    }
}
