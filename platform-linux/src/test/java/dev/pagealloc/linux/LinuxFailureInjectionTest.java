package dev.pagealloc.linux;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.AdditionalAnswers.delegatesTo;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.doReturn;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.KernelException;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PageAllocatorBuilder;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.Units;
import dev.pagealloc.testkit.KernelView;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Kernel failures injected into real regions: a Mockito mock of {@link LinuxKernel} passes every
 * call to {@link FfmLinuxKernel} except the one a test makes fail, so the whole stack (shared layer
 * and backend) reports it and the kernel's own view shows what it left (a call that
 * failed made nothing, so there the mock's record of the calls is the evidence).
 */
// Binds and calls the real Linux kernel (or reads its /proc); other OSes run their own backends.
@EnabledOnOs(OS.LINUX)
class LinuxFailureInjectionTest {
    private static final Capabilities CAPABILITIES =
            new LinuxPlatformProvider().open(null).capabilities();

    private final ProcKernelView view = new ProcKernelView();
    private LinuxKernel kernel;
    private PageAllocator allocator;
    private Region region;

    @BeforeEach
    void injectAKernel() {
        kernel = mock(LinuxKernel.class, delegatesTo(FfmLinuxKernel.INSTANCE));
    }

    @AfterEach
    void deallocate() {
        if (region != null) {
            region.deallocate();
        }
    }

    private PageAllocator allocator(PageAllocatorBuilder builder) {
        LinuxVirtualMemory memory = new LinuxVirtualMemory(kernel, () -> CAPABILITIES);
        return builder.withProvider(new LinuxPlatformProvider(() -> memory)).build();
    }

    @Test
    void shouldReportAnInjectedEnomemFromMprotectExactlyAndLeaveTheRegionUsable() {
        allocator = allocator(PageAllocator.builder());
        region = allocator.allocate(2, 16);
        region.segment().set(JAVA_BYTE, 0, (byte) 9);
        long next = region.address() + region.committedBytes();
        doReturn(-1).doAnswer(delegatesTo(FfmLinuxKernel.INSTANCE)).when(kernel)
                .mprotect(anyLong(), eq(262144L), eq(LinuxAbi.PROT_READ | LinuxAbi.PROT_WRITE));
        doReturn(LinuxAbi.ENOMEM).doAnswer(delegatesTo(FfmLinuxKernel.INSTANCE)).when(kernel).errno();

        KernelException e = assertThrows(KernelException.class, () -> region.grow(4));

        assertEquals("grow(additionalPages=4): cannot commit 262144 bytes at " + Units.hex(next) + ": mprotect("
                + Units.hex(next) + ", 262144, PROT_READ|PROT_WRITE) -> ENOMEM (12): Cannot allocate memory", e.getMessage());
        assertEquals("ENOMEM", e.errorName());
        assertEquals(2, region.pages(), "the failed grow added no page");
        assertEquals(List.of(new KernelView.Mapping(next, next + 262144, Protection.NONE)),
                view.mappings(next, 262144), "the pages stay reserved and inaccessible");
        assertEquals(9, region.segment().get(JAVA_BYTE, 0), "the region is untouched");
        assertEquals(2, region.grow(4), "the next grow works");
        region.segment().set(JAVA_BYTE, region.byteSize() - 1, (byte) 1);
        assertEquals(List.of(new KernelView.Mapping(next, next + 262144, Protection.READ_WRITE)),
                view.mappings(next, 262144));
        assertEquals(1, allocator.statistics().failures());
    }

    @Test
    void shouldReportAFailedReservationAndReserveNothing() {
        allocator = allocator(PageAllocator.builder());
        doReturn(LinuxAbi.MAP_FAILED).when(kernel).mmap(eq(0L), anyLong(), eq(LinuxAbi.PROT_NONE),
                eq(0x4022), eq(-1), eq(0L));
        doReturn(LinuxAbi.ENOMEM).when(kernel).errno();

        KernelException e = assertThrows(KernelException.class, () -> allocator.allocate(1, 4));

        long bytes = 4 * 65536 + 2 * CAPABILITIES.pageBytes();
        assertEquals("allocate(initialPages=1, maximumPages=4): cannot reserve " + bytes + " bytes: mmap(0x0, " + bytes
                + ", PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0) -> ENOMEM (12): Cannot allocate memory",
                e.getMessage());
        assertEquals(0, allocator.statistics().reservedBytes());
        verify(kernel, times(1)).mmap(anyLong(), anyLong(), anyInt(), anyInt(), anyInt(), anyLong());
        verify(kernel, never()).munmap(anyLong(), anyLong());
    }

    @Test
    void shouldTouchEveryPageWhenPopulateWriteIsUnknown() {
        doReturn(-1).when(kernel).madvise(anyLong(), anyLong(), eq(LinuxAbi.MADV_POPULATE_WRITE));
        doReturn(LinuxAbi.EINVAL).doAnswer(delegatesTo(FfmLinuxKernel.INSTANCE)).when(kernel).errno();
        allocator = allocator(PageAllocator.builder().withPopulate(true));

        region = allocator.allocate(3, 4);

        assertEquals(region.committedBytes(), view.residentBytes(region.address(), region.committedBytes()).getAsLong(),
                "every page resident before any access");
        assertTrue(region.appliedOptions().populated());
    }
}
