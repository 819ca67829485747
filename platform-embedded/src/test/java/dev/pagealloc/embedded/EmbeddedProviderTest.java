package dev.pagealloc.embedded;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.HugePages;
import dev.pagealloc.api.KernelException;
import dev.pagealloc.api.NumaPolicy;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PageAllocatorBuilder;
import dev.pagealloc.api.PlatformUnavailableException;
import dev.pagealloc.api.ProviderStatus;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.UnsupportedOptionException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The embedded provider's selection, buffers, capabilities and exhaustion. */
class EmbeddedProviderTest {
    private static final long PAGE = EmbeddedVirtualMemory.PAGE_BYTES;
    private static final long WASM_PAGE = PageAllocatorBuilder.WASM_PAGE_BYTES;

    @Test
    void shouldBeFoundThroughTheServiceLoaderWithTheLowestPriority() {
        List<ProviderStatus> providers = PageAllocator.providers();
        ProviderStatus embedded = providers.stream().filter(p -> p.name().equals("embedded")).findFirst().orElseThrow();
        assertTrue(embedded.supported());
        assertEquals(0, embedded.priority());
        assertTrue(providers.stream().allMatch(p -> p.priority() >= embedded.priority()));
        assertEquals("embedded", PageAllocator.builder().withPlatform("embedded").build().platform());
    }

    @Test
    void shouldBeSelectedByThePlatformProperty() {
        String before = System.getProperty("pagealloc.platform");
        System.setProperty("pagealloc.platform", "embedded");
        try {
            PageAllocator allocator = PageAllocator.builder().build();
            assertEquals("embedded", allocator.platform());
            assertEquals("embedded", allocator.capabilities().platform());
            try (Region region = allocator.allocate(1, 2)) {
                region.segment().set(JAVA_BYTE, 0, (byte) 1);
            }
            System.setProperty("pagealloc.platform", "no-such-platform");
            PlatformUnavailableException e = assertThrows(PlatformUnavailableException.class,
                    () -> PageAllocator.builder().build());
            assertTrue(e.getMessage().startsWith("select(pagealloc.platform=no-such-platform): no provider named"
                    + " 'no-such-platform'; found: "), e.getMessage());
            assertTrue(e.getMessage().contains("embedded (supported: always: "), e.getMessage());
        } finally {
            if (before == null) {
                System.clearProperty("pagealloc.platform");
            } else {
                System.setProperty("pagealloc.platform", before);
            }
        }
    }

    @Test
    void shouldSizeItsOwnBufferFromTheProperty() {
        String before = System.getProperty(EmbeddedPlatformProvider.BUFFER_BYTES_PROPERTY);
        try {
            System.setProperty(EmbeddedPlatformProvider.BUFFER_BYTES_PROPERTY, "1000000");
            PageAllocator allocator = PageAllocator.builder().withPlatform("embedded").build();
            assertEquals(Math.ceilDiv(1_000_000, PAGE) * PAGE, allocator.capabilities().totalMemoryBytes());
            System.setProperty(EmbeddedPlatformProvider.BUFFER_BYTES_PROPERTY, "lots");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> PageAllocator.builder().withPlatform("embedded").build());
            assertEquals("open(pagealloc.embedded.bufferBytes=lots): not a number of bytes", e.getMessage());
            System.setProperty(EmbeddedPlatformProvider.BUFFER_BYTES_PROPERTY, "0");
            e = assertThrows(IllegalArgumentException.class,
                    () -> PageAllocator.builder().withPlatform("embedded").build());
            assertEquals("open(pagealloc.embedded.bufferBytes=0): must be a positive number of bytes", e.getMessage());
            System.clearProperty(EmbeddedPlatformProvider.BUFFER_BYTES_PROPERTY);
            assertEquals(EmbeddedPlatformProvider.DEFAULT_BUFFER_BYTES,
                    PageAllocator.builder().withPlatform("embedded").build().capabilities().totalMemoryBytes());
        } finally {
            if (before == null) {
                System.clearProperty(EmbeddedPlatformProvider.BUFFER_BYTES_PROPERTY);
            } else {
                System.setProperty(EmbeddedPlatformProvider.BUFFER_BYTES_PROPERTY, before);
            }
        }
    }

    @Test
    void shouldReportWhatItCannotDo() {
        Capabilities c = PageAllocator.builder().withPlatform("embedded").build().capabilities();
        assertEquals(PAGE, c.pageBytes());
        assertEquals(List.of(), c.hugePageSizes());
        assertEquals(List.of(), c.numaNodes());
        assertFalse(c.memoryTagging());
        assertEquals(Capabilities.TransparentHugePageMode.UNSUPPORTED, c.transparentHugePages());
        UnsupportedOptionException e = assertThrows(UnsupportedOptionException.class,
                () -> PageAllocator.builder().withPlatform("embedded").withNumaNode(0).build());
        assertEquals("build(): numaPolicy=" + NumaPolicy.bind(0) + " is not available: platform embedded has no NUMA"
                + " support", e.getMessage());
        assertThrows(UnsupportedOptionException.class,
                () -> PageAllocator.builder().withPlatform("embedded")
                        .withHugePages(HugePages.explicit(HugePages.SIZE_2_MIB)).build());
        assertThrows(UnsupportedOptionException.class,
                () -> PageAllocator.builder().withPlatform("embedded").withLock(true).build().allocate(1, 1));
        PageAllocator lenient = PageAllocator.builder().withPlatform("embedded").withBestEffort(true)
                .withNumaNode(0).withLock(true).build();
        try (Region region = lenient.allocate(1, 1)) {
            assertEquals(NumaPolicy.none(), region.appliedOptions().numaPolicy());
            assertFalse(region.appliedOptions().locked());
            assertEquals(2, region.appliedOptions().downgrades().size(),
                    region.appliedOptions().downgrades()::toString);
        }
    }

    @Test
    void shouldPlaceRegionsInsideTheCallersStaticBuffer() {
        {
            MemorySegment buffer = Arena.global().allocate(1 << 20, PAGE);
            List<EmbeddedVirtualMemory> tables = new CopyOnWriteArrayList<>();
            PageAllocator allocator = PageAllocator.builder().withProvider(new EmbeddedPlatformProvider(tables::add))
                    .withStaticBuffer(buffer).build();
            assertFalse(tables.getFirst().ownsBuffer());
            Region region = allocator.allocate(2, 4);
            assertTrue(region.address() - region.guardBeforeBytes() >= buffer.address());
            assertTrue(region.address() + region.reservedBytes() <= buffer.address() + buffer.byteSize());
            region.segment().set(JAVA_BYTE, 5, (byte) 42);
            assertEquals(42, buffer.get(JAVA_BYTE, region.address() - buffer.address() + 5), "the same bytes");
            region.deallocate();
        }
    }

    @Test
    void shouldRefuseBuffersItCannotUse() {
        MemorySegment heap = MemorySegment.ofArray(new byte[1 << 20]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PageAllocator.builder().withPlatform("embedded").withStaticBuffer(heap).build());
        assertTrue(e.getMessage().startsWith("open(staticBuffer=heap segment of 1048576 bytes): the embedded provider"
                + " needs a native buffer: views of a heap array cannot be invalidated"), e.getMessage());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment misaligned = arena.allocate(1 << 20, PAGE).asSlice(8);
            e = assertThrows(IllegalArgumentException.class,
                    () -> PageAllocator.builder().withPlatform("embedded").withStaticBuffer(misaligned).build());
            assertTrue(e.getMessage().endsWith(": the buffer must be aligned to the page size 4096 bytes; allocate it"
                    + " with Arena.global().allocate(bytes, 4096)"), e.getMessage());
            MemorySegment tiny = arena.allocate(100, PAGE);
            e = assertThrows(IllegalArgumentException.class,
                    () -> PageAllocator.builder().withPlatform("embedded").withStaticBuffer(tiny).build());
            assertTrue(e.getMessage().endsWith(": the buffer is smaller than one page of 4096 bytes"), e.getMessage());
            MemorySegment readOnly = arena.allocate(PAGE, PAGE).asReadOnly();
            e = assertThrows(IllegalArgumentException.class,
                    () -> PageAllocator.builder().withPlatform("embedded").withStaticBuffer(readOnly).build());
            assertTrue(e.getMessage().endsWith(": the buffer is read-only"), e.getMessage());
        }
    }

    @Test
    void shouldSayClearlyWhenTheBufferIsExhaustedAndReuseFreedRuns() {
        {
            MemorySegment buffer = Arena.global().allocate(1 << 20, PAGE);
            PageAllocator allocator = PageAllocator.builder().withPlatform("embedded").withStaticBuffer(buffer).build();
            KernelException e = assertThrows(KernelException.class, () -> allocator.allocate(0, 16));
            long wanted = 16 * WASM_PAGE + 2 * PAGE;
            assertEquals("allocate(initialPages=0, maximumPages=16): cannot reserve " + wanted + " bytes: "
                    + "embedded.reserve(byteSize=" + wanted + ", alignmentBytes=4096) -> ENOMEM (12): no free run of "
                    + wanted / PAGE
                    + " pages aligned to 4096 bytes in the embedded buffer of 1048576 bytes (1048576 bytes"
                    + " free, largest free run 1048576 bytes); raise pagealloc.embedded.bufferBytes or pass a larger"
                    + " static buffer", e.getMessage());
            assertEquals("ENOMEM", e.errorName());
            assertEquals(0, allocator.statistics().reservedBytes());

            Region first = allocator.allocate(1, 4);
            Region second = allocator.allocate(1, 4);
            Region third = allocator.allocate(1, 4);
            assertTrue(first.address() < second.address() && second.address() < third.address(), "first fit");
            assertThrows(KernelException.class, () -> allocator.allocate(1, 4), "the buffer holds three such regions");
            long hole = second.address();
            second.deallocate();
            Region reused = allocator.allocate(1, 4);
            assertEquals(hole, reused.address(), "the freed run is reused");
            assertEquals(0, reused.segment().get(JAVA_BYTE, 0), "and reads zero");
            for (Region r : List.of(first, reused, third)) {
                r.deallocate();
            }
            Region whole = allocator.allocate(1, 15);
            assertEquals(buffer.address() + PAGE, whole.address(), "everything is free again");
            whole.deallocate();
        }
    }
}
