package dev.pagealloc.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoMoreInteractions;
import static org.mockito.Mockito.when;

import dev.pagealloc.api.HugePages;
import dev.pagealloc.api.MemoryTagging;
import dev.pagealloc.api.NumaPolicy;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.SystemCallError;
import dev.pagealloc.spi.Backing;
import dev.pagealloc.spi.SystemCallException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.mockito.InOrder;

/**
 * The exact system calls, flags and failure texts of each primitive, over a mocked
 * {@link LinuxKernel}: no page is mapped, so every flag value is pinned here, and the real kernel
 * checks behaviour in {@link LinuxPageAllocatorTest} and {@link LinuxFailureInjectionTest}.
 */
// Binds and calls the real Linux kernel (or reads its /proc); other OSes run their own backends.
@EnabledOnOs(OS.LINUX)
class LinuxVirtualMemoryTest {
    private static final long PAGE = 4096;
    private static final long MIB2 = 2L << 20;
    private static final long A = 0x7f3a12340000L;
    private static final int RW = LinuxAbi.PROT_READ | LinuxAbi.PROT_WRITE;
    /** MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE. */
    private static final int RESERVE = 0x02 | 0x20 | 0x4000;

    private LinuxKernel kernel;
    private LinuxVirtualMemory memory;

    @BeforeEach
    void mockTheKernel() {
        kernel = mock(LinuxKernel.class);
        when(kernel.sysconf(LinuxAbi.SC_PAGESIZE)).thenReturn(PAGE);
        when(kernel.strerror(anyInt())).thenAnswer(call -> FfmLinuxKernel.INSTANCE.strerror(call.getArgument(0)));
        memory = new LinuxVirtualMemory(kernel, () -> {
            throw new AssertionError("no capability is needed");
        });
    }

    private static Backing backing(HugePages hugePages, NumaPolicy numa) {
        return new Backing(hugePages, numa, MemoryTagging.NONE);
    }

    @Test
    void shouldReserveInaccessibleNoreserveMemoryAndTrimTheAlignmentSlack() throws SystemCallException {
        long raw = A + PAGE;
        long size = 4 * MIB2;
        when(kernel.mmap(0, size + MIB2 - PAGE, LinuxAbi.PROT_NONE, RESERVE, -1, 0)).thenReturn(raw);
        long aligned = (raw + MIB2 - 1) & -MIB2;

        assertEquals(aligned, memory.reserve(size, MIB2, Backing.DEFAULT));

        InOrder order = inOrder(kernel);
        order.verify(kernel).mmap(0, size + MIB2 - PAGE, LinuxAbi.PROT_NONE, 0x4022, -1, 0);
        order.verify(kernel).munmap(raw, aligned - raw);
        order.verify(kernel).munmap(aligned + size, raw + size + MIB2 - PAGE - (aligned + size));
        verify(kernel, never()).madvise(anyLong(), anyLong(), anyInt());
        verify(kernel, never()).mbind(anyLong(), anyLong(), anyInt(), any(), anyLong(), anyInt());
    }

    @Test
    void shouldReserveWithoutTrimmingWhenThePageAlignmentSuffices() throws SystemCallException {
        when(kernel.mmap(0, 8 * PAGE, LinuxAbi.PROT_NONE, RESERVE, -1, 0)).thenReturn(A);
        assertEquals(A, memory.reserve(8 * PAGE, PAGE, Backing.DEFAULT));
        verify(kernel, never()).munmap(anyLong(), anyLong());
    }

    @Test
    void shouldAdviseAndBindTheReservationBeforeAnyPageIsTouched() throws SystemCallException {
        when(kernel.mmap(0, MIB2, LinuxAbi.PROT_NONE, RESERVE, -1, 0)).thenReturn(A);
        memory.reserve(MIB2, PAGE, backing(HugePages.transparent(), NumaPolicy.bind(0, 2)));
        memory.reserve(MIB2, PAGE, backing(HugePages.none(), NumaPolicy.preferred(70)));
        memory.reserve(MIB2, PAGE, backing(HugePages.systemDefault(), NumaPolicy.interleave(1)));

        InOrder order = inOrder(kernel);
        order.verify(kernel).madvise(A, MIB2, 14);
        order.verify(kernel).mbind(eq(A), eq(MIB2), eq(2), eq(new long[] {0b101}), eq(65L), eq(0));
        order.verify(kernel).madvise(A, MIB2, 15);
        order.verify(kernel).mbind(eq(A), eq(MIB2), eq(1), eq(new long[] {0, 1L << 6}), eq(129L), eq(0));
        order.verify(kernel).mbind(eq(A), eq(MIB2), eq(3), eq(new long[] {0b10}), eq(65L), eq(0));
        verify(kernel, never()).madvise(anyLong(), anyLong(), eq(0));
    }

    @Test
    void shouldGiveTheReservationBackWhenTheNumaPolicyIsRefused() {
        when(kernel.mmap(0, MIB2, LinuxAbi.PROT_NONE, RESERVE, -1, 0)).thenReturn(A);
        when(kernel.mbind(anyLong(), anyLong(), anyInt(), any(), anyLong(), anyInt())).thenReturn(-1L);
        when(kernel.errno()).thenReturn(22);

        SystemCallException e = assertThrows(SystemCallException.class,
                () -> memory.reserve(MIB2, PAGE, backing(HugePages.systemDefault(), NumaPolicy.bind(3))));

        assertEquals(new SystemCallError("mbind(0x7f3a12340000, 2097152, MPOL_BIND, nodes=[3], 65, 0)", 22, "EINVAL",
                "Invalid argument"), e.error());
        verify(kernel).munmap(A, MIB2);
    }

    @Test
    void shouldCommitBasePagesWithMprotectReadWrite() throws SystemCallException {
        memory.commit(A, 4 * PAGE, backing(HugePages.transparent(), NumaPolicy.bind(0)));
        verify(kernel).mprotect(A, 4 * PAGE, 3);
        verify(kernel).sysconf(LinuxAbi.SC_PAGESIZE);
        verifyNoMoreInteractions(kernel);
    }

    @Test
    void shouldCommitExplicitHugePagesAsAFixedHugetlbMappingWithoutNoreserveThenBindIt() throws SystemCallException {
        when(kernel.mmap(anyLong(), anyLong(), anyInt(), anyInt(), anyInt(), anyLong())).thenReturn(A);
        memory.commit(A, 2 * MIB2, backing(HugePages.explicit(MIB2), NumaPolicy.bind(0)));
        memory.commit(A, 1L << 30, backing(HugePages.explicit(1L << 30), NumaPolicy.none()));

        InOrder order = inOrder(kernel);
        // MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS|MAP_HUGETLB|21<<MAP_HUGE_SHIFT (MAP_HUGE_2MB), no MAP_NORESERVE
        order.verify(kernel).mmap(A, 2 * MIB2, RW, 0x54040032, -1, 0);
        order.verify(kernel).mbind(eq(A), eq(2 * MIB2), eq(2), eq(new long[] {1}), eq(65L), eq(0));
        // 30<<MAP_HUGE_SHIFT is MAP_HUGE_1GB
        order.verify(kernel).mmap(A, 1L << 30, RW, 0x78040032, -1, 0);
        verify(kernel, never()).mprotect(anyLong(), anyLong(), anyInt());
    }

    @Test
    void shouldReportAnEmptyHugePagePoolAndPutThePlaceholderBack() {
        int hugetlb = 0x54040032;
        when(kernel.mmap(A, MIB2, RW, hugetlb, -1, 0)).thenReturn(-1L);
        when(kernel.errno()).thenReturn(12);
        when(kernel.mmap(A, MIB2, LinuxAbi.PROT_NONE, RESERVE | LinuxAbi.MAP_FIXED_NOREPLACE, -1, 0)).thenReturn(-1L);

        SystemCallException e = assertThrows(SystemCallException.class,
                () -> memory.commit(A, MIB2, backing(HugePages.explicit(MIB2), NumaPolicy.none())));

        assertEquals("mmap(0x7f3a12340000, 2097152, PROT_READ|PROT_WRITE, "
                + "MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS|MAP_HUGETLB|21<<MAP_HUGE_SHIFT, -1, 0) -> ENOMEM (12): "
                + "Cannot allocate memory", e.getMessage());
        InOrder order = inOrder(kernel);
        order.verify(kernel).mmap(A, MIB2, RW, hugetlb, -1, 0);
        order.verify(kernel).mmap(A, MIB2, LinuxAbi.PROT_NONE, 0x104022, -1, 0);
        verify(kernel, never()).munmap(anyLong(), anyLong());
    }

    @Test
    void shouldProtectWithTheMatchingProtFlagsAndNeverWriteAndExecute() throws SystemCallException {
        for (Protection p : Protection.values()) {
            memory.protect(A, PAGE, p);
        }
        InOrder order = inOrder(kernel);
        order.verify(kernel).mprotect(A, PAGE, 0);
        order.verify(kernel).mprotect(A, PAGE, 1);
        order.verify(kernel).mprotect(A, PAGE, 3);
        order.verify(kernel).mprotect(A, PAGE, 5);
        verify(kernel, never()).mprotect(anyLong(), anyLong(), eq(7));
    }

    @Test
    void shouldDecommitBasePagesWithProtNoneThenDontneed() throws SystemCallException {
        memory.decommit(A, 2 * PAGE, Backing.DEFAULT);
        InOrder order = inOrder(kernel);
        order.verify(kernel).mprotect(A, 2 * PAGE, 0);
        order.verify(kernel).madvise(A, 2 * PAGE, 4);
        verify(kernel, never()).mmap(anyLong(), anyLong(), anyInt(), anyInt(), anyInt(), anyLong());
    }

    @Test
    void shouldDropNothingWhenProtNoneIsRefused() {
        when(kernel.mprotect(A, PAGE, 0)).thenReturn(-1);
        when(kernel.errno()).thenReturn(12);
        assertThrows(SystemCallException.class, () -> memory.decommit(A, PAGE, Backing.DEFAULT));
        verify(kernel, never()).madvise(anyLong(), anyLong(), anyInt());
    }

    @Test
    void shouldUnlockLockedPagesBeforeDecommittingThem() throws SystemCallException {
        when(kernel.madvise(A, PAGE, 4)).thenReturn(-1, 0);
        when(kernel.errno()).thenReturn(22);
        memory.decommit(A, PAGE, Backing.DEFAULT);
        InOrder order = inOrder(kernel);
        order.verify(kernel).mprotect(A, PAGE, 0);
        order.verify(kernel).madvise(A, PAGE, 4);
        order.verify(kernel).munlock(A, PAGE);
        order.verify(kernel).madvise(A, PAGE, 4);
    }

    @Test
    void shouldDecommitHugePagesByMappingAPlaceholderOverThem() throws SystemCallException {
        when(kernel.mmap(anyLong(), anyLong(), anyInt(), anyInt(), anyInt(), anyLong())).thenReturn(A);
        memory.decommit(A, MIB2, backing(HugePages.explicit(MIB2), NumaPolicy.bind(0)));
        // MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS|MAP_NORESERVE, PROT_NONE: the huge pages go back to the pool
        verify(kernel).mmap(A, MIB2, 0, 0x4032, -1, 0);
        verify(kernel, never()).madvise(anyLong(), anyLong(), anyInt());
    }

    @Test
    void shouldDiscardWithDontneedAndLockedPagesWithDontneedLocked() throws SystemCallException {
        memory.discard(A, PAGE, Backing.DEFAULT);
        verify(kernel).madvise(A, PAGE, 4);
        when(kernel.madvise(A, 2 * PAGE, 4)).thenReturn(-1);
        when(kernel.errno()).thenReturn(22);
        memory.discard(A, 2 * PAGE, Backing.DEFAULT);
        verify(kernel).madvise(A, 2 * PAGE, 24);
        verify(kernel, never()).mprotect(anyLong(), anyLong(), anyInt());
    }

    @Test
    void shouldReleaseWithMunmapPopulateWithPopulateWriteAndLockWithMlock() throws SystemCallException {
        memory.release(A, MIB2);
        memory.populate(A, MIB2);
        memory.lock(A, MIB2);
        InOrder order = inOrder(kernel);
        order.verify(kernel).munmap(A, MIB2);
        order.verify(kernel).madvise(A, MIB2, 23);
        order.verify(kernel).mlock(A, MIB2);
    }

    @Test
    void shouldTouchEveryPageWhenTheKernelPredatesPopulateWrite() throws SystemCallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pages = arena.allocate(3 * PAGE, PAGE);
            for (long offset = 0; offset < pages.byteSize(); offset += 4) {
                pages.set(ValueLayout.JAVA_INT, offset, (int) offset * 31);
            }
            when(kernel.madvise(pages.address(), pages.byteSize(), 23)).thenReturn(-1);
            when(kernel.errno()).thenReturn(22);

            memory.populate(pages.address(), pages.byteSize());

            for (long offset = 0; offset < pages.byteSize(); offset += 4) {
                assertEquals((int) offset * 31, pages.get(ValueLayout.JAVA_INT, offset), "touching changes no byte");
            }
        }
    }

    @Test
    void shouldRenderEachFailedCallWithItsArgumentsErrnoNameAndText() {
        when(kernel.mprotect(A, 262144, RW)).thenReturn(-1);
        when(kernel.mlock(A, PAGE)).thenReturn(-1);
        when(kernel.munmap(A, PAGE)).thenReturn(-1);
        when(kernel.madvise(A, PAGE, 23)).thenReturn(-1);
        when(kernel.errno()).thenReturn(12, 11, 22, 12);

        assertEquals(new SystemCallError("mprotect(0x7f3a12340000, 262144, PROT_READ|PROT_WRITE)", 12, "ENOMEM",
                "Cannot allocate memory"), assertThrows(SystemCallException.class, () -> memory.commit(A, 262144,
                        Backing.DEFAULT)).error());
        assertEquals("mlock(0x7f3a12340000, 4096) -> EAGAIN (11): Resource temporarily unavailable",
                assertThrows(SystemCallException.class, () -> memory.lock(A, PAGE)).getMessage());
        assertEquals("munmap(0x7f3a12340000, 4096) -> EINVAL (22): Invalid argument",
                assertThrows(SystemCallException.class, () -> memory.release(A, PAGE)).getMessage());
        assertEquals("madvise(0x7f3a12340000, 4096, MADV_POPULATE_WRITE) -> ENOMEM (12): Cannot allocate memory",
                assertThrows(SystemCallException.class, () -> memory.populate(A, PAGE)).getMessage());
    }

    @Test
    void shouldCommitHardwareTaggedPagesWithProtMteAndRefuseThemOnExplicitHugePages() throws SystemCallException {
        MemoryTagging hardware = MemoryTagging.of(MemoryTagging.TagCheckMode.SYNC);
        memory.commit(A, PAGE, new Backing(HugePages.systemDefault(), NumaPolicy.none(), hardware));
        verify(kernel).mprotect(A, PAGE, 3 | LinuxAbi.PROT_MTE);
        Backing huge = new Backing(HugePages.explicit(HugePages.SIZE_2_MIB), NumaPolicy.none(), hardware);
        assertThrows(UnsupportedOperationException.class, () -> memory.reserve(MIB2, MIB2, huge));
        verify(kernel, never()).mmap(anyLong(), anyLong(), anyInt(), anyInt(), anyInt(), anyLong());
    }

    @Test
    void shouldDescribeRlimitMemlockFromItsProcLimitsLine() {
        assertEquals("RLIMIT_MEMLOCK is 65536 bytes (soft), 131072 (hard): raise it (ulimit -l, in KiB;"
                + " LimitMEMLOCK= for a systemd service) or grant CAP_IPC_LOCK",
                MemlockLimit.describe("Max locked memory         65536                131072               bytes"));
        assertEquals("RLIMIT_MEMLOCK is unlimited (soft), unlimited (hard): raise it (ulimit -l, in KiB;"
                + " LimitMEMLOCK= for a systemd service) or grant CAP_IPC_LOCK",
                MemlockLimit.describe("Max locked memory         unlimited            unlimited            bytes"));
        assertEquals("RLIMIT_MEMLOCK could not be read from /proc/self/limits", MemlockLimit.describe(null));
    }

    @Test
    void shouldNameRlimitMemlockWhenMlockIsRefusedForIt() {
        when(kernel.mlock(A, PAGE)).thenReturn(-1);
        when(kernel.errno()).thenReturn(12, 1);
        SystemCallException nomem = assertThrows(SystemCallException.class, () -> memory.lock(A, PAGE));
        assertTrue(nomem.getMessage().startsWith("mlock(0x7f3a12340000, 4096) -> ENOMEM (12): "), nomem.getMessage());
        assertTrue(nomem.getMessage().endsWith("; " + MemlockLimit.describe()), nomem.getMessage());
        SystemCallException perm = assertThrows(SystemCallException.class, () -> memory.lock(A, PAGE));
        assertTrue(perm.getMessage().endsWith("; " + MemlockLimit.describe()), perm.getMessage());
    }
}
