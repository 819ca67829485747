package dev.pagealloc.windows;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.HugePages;
import dev.pagealloc.api.KernelException;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.spi.Backing;
import dev.pagealloc.spi.PlatformRequest;
import dev.pagealloc.spi.SystemCallException;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The FFM bindings and extras on the real Windows memory manager. Runs only on Windows (the CI's windows runner). */
@EnabledOnOs(OS.WINDOWS)
class WindowsRealKernelTest {
    private final WindowsVirtualMemory memory = (WindowsVirtualMemory) new WindowsPlatformProvider()
            .open(PlatformRequest.NONE);

    @Test
    void shouldProbeTheRealMachine() {
        Capabilities c = memory.capabilities();
        assertEquals(65536, c.allocationGranularityBytes());
        assertEquals(4096, c.pageBytes());
        assertTrue(c.numaNodes().size() >= 1);
        assertTrue(c.addressBits() >= 43, "addressBits=" + c.addressBits());
    }

    @Test
    void shouldReserveCommitDiscardAndReleaseWithRealWin32Calls() throws SystemCallException {
        long a = memory.reserve(4 * 65536, 65536, Backing.DEFAULT);
        memory.commit(a, 2 * 65536, Backing.DEFAULT);
        // SAFETY: [a, +2 * 65536) was just committed read-write.
        @SuppressWarnings("restricted") // see the SAFETY line
        MemorySegment pages = MemorySegment.ofAddress(a).reinterpret(2 * 65536);
        pages.fill((byte) 1);
        memory.protect(a + 65536, 65536, Protection.READ);
        memory.discard(a, 2 * 65536, Backing.DEFAULT);
        assertEquals(0, pages.get(JAVA_BYTE, 65536 + 7));
        assertEquals(Protection.READ, new VirtualQueryKernelView(FfmWin32Kernel.INSTANCE).mappings(a + 65536, 65536)
                .getFirst().protection());
        memory.discardContents(a, 65536);
        memory.flushInstructionCache(a, 64);
        memory.decommit(a, 2 * 65536, Backing.DEFAULT);
        memory.release(a, 4 * 65536);
        assertTrue(new VirtualQueryKernelView(FfmWin32Kernel.INSTANCE).mappings(a, 4 * 65536).isEmpty());
    }

    @Test
    void shouldNameTheWin32ErrorInWords() throws SystemCallException {
        WindowsMisuseTest.releaseInsideAReservationIsNamedInWords(memory);
    }

    @Test
    void shouldUseLargePagesOrNameTheMissingPrivilege() {
        long large = memory.capabilities().hugePageSizes().isEmpty() ? 0
                : memory.capabilities().hugePageSizes().getFirst().pageBytes();
        if (large == 0) {
            return;
        }
        // Large pages are always read/write, so they come without guard pages (refused at build otherwise).
        PageAllocator allocator =
                PageAllocator.builder().withPlatform("windows").withHugePages(HugePages.explicit(large))
                .withPageBytes(large).withGuardPages(false).build();
        try (Region region = allocator.allocate(1, 1)) {
            region.segment().set(JAVA_BYTE, 0, (byte) 1);
        } catch (KernelException e) {
            assertTrue(e.getMessage().contains("SeLockMemoryPrivilege"), e.getMessage());
        }
    }
}
