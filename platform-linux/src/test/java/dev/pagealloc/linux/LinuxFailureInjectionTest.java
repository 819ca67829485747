package dev.pagealloc.linux;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.AdditionalAnswers.delegatesTo;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.eq;
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
import dev.pagealloc.spi.PlatformRequest;
import dev.pagealloc.testkit.FailureInjector;
import dev.pagealloc.testkit.KernelView;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Kernel failures injected into real regions: an {@link InjectedLinuxKernel} passes every call to
 * {@link FfmLinuxKernel} except the ones the test's {@link FailureInjector} fails, so the whole
 * stack (shared layer and backend) reports it and the kernel's own view shows what it left (a call
 * that failed made nothing, so there a Mockito record of the calls is the evidence).
 */
// Binds and calls the real Linux kernel (or reads its /proc); other OSes run their own backends.
@EnabledOnOs(OS.LINUX)
class LinuxFailureInjectionTest {
    private static final Capabilities CAPABILITIES =
            new LinuxPlatformProvider().open(PlatformRequest.NONE).capabilities();

    private final ProcKernelView view = new ProcKernelView();
    private final FailureInjector failures = new FailureInjector();
    /** Records the calls for {@code verify}; the failures come from {@link #failures} alone. */
    private LinuxKernel kernel;
    private PageAllocator allocator;
    private Region region;

    @BeforeEach
    void injectAKernel() {
        kernel = mock(LinuxKernel.class, delegatesTo(InjectedLinuxKernel.over(FfmLinuxKernel.INSTANCE, failures)));
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
        failures.failOnceMatching("mprotect", call -> call.longArgument(1) == 262144L
                && call.longArgument(2) == (LinuxAbi.PROT_READ | LinuxAbi.PROT_WRITE), LinuxAbi.ENOMEM);

        KernelException e = assertThrows(KernelException.class, () -> region.grow(4));

        assertEquals("grow(additionalPages=4): cannot commit 262144 bytes at " + Units.hex(next) + ": mprotect("
                + Units.hex(next) + ", 262144, PROT_READ|PROT_WRITE) -> ENOMEM (12): Cannot allocate memory",
                e.getMessage());
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
        failures.failMatching("mmap", call -> call.longArgument(0) == 0 && call.longArgument(2) == LinuxAbi.PROT_NONE
                && call.longArgument(3) == 0x4022 && call.longArgument(4) == -1, LinuxAbi.ENOMEM);

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
        failures.failMatching("madvise", call -> call.longArgument(2) == LinuxAbi.MADV_POPULATE_WRITE, LinuxAbi.EINVAL);
        allocator = allocator(PageAllocator.builder().withPopulate(true));

        region = allocator.allocate(3, 4);

        assertEquals(region.committedBytes(), view.residentBytes(region.address(), region.committedBytes()).getAsLong(),
                "every page resident before any access");
        assertTrue(region.appliedOptions().populated());
    }

    @Test
    void shouldLoseNoContentWhenDecommitIsRefusedAtTheMappingLimit() {
        allocator = allocator(PageAllocator.builder());
        region = allocate4Pages();
        long base = region.address();
        long page = CAPABILITIES.pageBytes();
        region.segment().fill((byte) 0x77);
        // mprotect(PROT_NONE) of a page inside a read-write mapping splits it; at vm.max_map_count
        // the kernel refuses with ENOMEM (mprotect(2)).
        failures.failOnceMatching("mprotect", call -> call.longArgument(0) == base + page
                && call.longArgument(1) == page && call.longArgument(2) == LinuxAbi.PROT_NONE, LinuxAbi.ENOMEM);

        KernelException e = assertThrows(KernelException.class, () -> region.decommit(page, page));

        String at = Units.hex(base + page);
        assertEquals("decommit(byteOffset=" + page + ", byteLength=" + page + "): cannot decommit " + page
                + " bytes at " + at + ": mprotect(" + at + ", " + page + ", PROT_NONE) -> ENOMEM (12): Cannot allocate"
                + " memory", e.getMessage());
        verify(kernel, never()).madvise(anyLong(), anyLong(), eq(LinuxAbi.MADV_DONTNEED));
        assertEquals(List.of(new KernelView.Mapping(base, base + 4 * 65536, Protection.READ_WRITE)),
                view.mappings(base, 4 * 65536), "the kernel kept the access");
        assertEquals(Protection.READ_WRITE, region.protectionAt(page));
        assertEquals(0x77, region.segment().get(JAVA_BYTE, page), "the contents are still there");
        assertEquals(4 * 65536, view.residentBytes(base, 4 * 65536).getAsLong(), "and still resident");
        region.decommit(page, page);
        assertEquals(0, view.residentBytes(base + page, page).getAsLong(), "the next decommit works");
    }

    @Test
    void shouldPutTheProtectionBackWhenUnlockingForADecommitIsRefused() {
        allocator = allocator(PageAllocator.builder().withLock(true));
        region = allocate4Pages();
        long base = region.address();
        long page = CAPABILITIES.pageBytes();
        region.segment().fill((byte) 0x78);
        region.protect(0, page, Protection.READ);
        // Locked pages refuse MADV_DONTNEED; munlock of part of a locked mapping splits it and can be
        // refused at the mapping limit like mprotect, by then after the access was taken.
        // MADV_DONTNEED's refusal is the real kernel's EINVAL; munlock's is injected.
        failures.failMatching("munlock", call -> true, LinuxAbi.ENOMEM);

        KernelException e = assertThrows(KernelException.class, () -> region.decommit(0, 2 * page));

        assertTrue(e.getMessage().endsWith(": munlock(" + Units.hex(base) + ", " + 2 * page + ") -> ENOMEM (12): Cannot"
                + " allocate memory"), e.getMessage());
        assertEquals(List.of(new KernelView.Mapping(base, base + page, Protection.READ),
                new KernelView.Mapping(base + page, base + 4 * 65536, Protection.READ_WRITE)),
                view.mappings(base, 4 * 65536), "each page got its protection back");
        assertEquals(Protection.READ, region.protectionAt(0));
        assertEquals(0x78, region.segment().get(JAVA_BYTE, 0), "no content lost");
        assertEquals(0x78, region.segment().get(JAVA_BYTE, page));
        assertEquals(4 * 65536, view.residentBytes(base, 4 * 65536).getAsLong());
    }

    private Region allocate4Pages() {
        return allocator.allocate(4, 8);
    }
}
