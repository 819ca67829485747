package dev.pagealloc.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.Units;
import dev.pagealloc.spi.VirtualMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * A static buffer that lies in a live region of another provider is refused: that provider may
 * protect or release those pages at any time (on Linux, {@code mprotect(PROT_NONE)} or
 * {@code munmap}), and the embedded views over them would then fault. The other provider is a
 * mock whose reservation is a slice of a global buffer, so that the refusal is observed without
 * the real kernel.
 */
class EmbeddedOverOtherRegionsTest {
    private static final long PAGE = EmbeddedVirtualMemory.PAGE_BYTES;

    @Test
    void shouldRefuseABufferInsideAnotherProvidersLiveRegion() throws Exception {
        MemorySegment memory = Arena.global().allocate(1 << 20, PAGE);
        long reservation = memory.address() + 16 * PAGE;
        VirtualMemory os = mock(VirtualMemory.class);
        when(os.capabilities()).thenReturn(Capabilities.builder().platform("os").pageBytes(PAGE)
                .allocationGranularityBytes(PAGE).addressBits(48).build());
        when(os.pageBytes()).thenReturn(PAGE);
        when(os.allocationGranularityBytes()).thenReturn(PAGE);
        when(os.addressBits()).thenReturn(48);
        when(os.reserve(anyLong(), anyLong(), any())).thenReturn(reservation);
        Region region = PageAllocator.builder().withProvider(new FixedProvider("os", os)).withPageBytes(PAGE)
                .withGuardPages(false).build().allocate(0, 4);
        assertEquals(reservation, region.address());

        MemorySegment buffer = memory.asSlice(0, 32 * PAGE);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PageAllocator.builder().withPlatform("embedded").withStaticBuffer(buffer).build());
        assertEquals("open(staticBuffer=" + Units.hex(buffer.address()) + "+" + buffer.byteSize() + "): bytes ["
                + Units.hex(reservation) + ", " + Units.hex(reservation + 4 * PAGE) + ") lie in the reservation of a"
                + " live pagealloc region, " + Units.hex(reservation) + "+" + 4 * PAGE + "; pagealloc may protect or"
                + " release those pages at any time, and views over them would then fault", e.getMessage());

        region.deallocate();
        PageAllocator accepted = PageAllocator.builder().withPlatform("embedded").withStaticBuffer(buffer).build();
        assertEquals(buffer.byteSize(), accepted.capabilities().totalMemoryBytes());
    }
}
