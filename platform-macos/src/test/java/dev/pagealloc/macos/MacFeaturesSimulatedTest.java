package dev.pagealloc.macos;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.Advice;
import dev.pagealloc.api.FeatureSupport;
import dev.pagealloc.api.KernelException;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.spi.Backing;
import dev.pagealloc.spi.ExecutableMemory;
import dev.pagealloc.spi.MemoryImages;
import dev.pagealloc.spi.PlatformRequest;
import dev.pagealloc.spi.PurgeableMemory;
import dev.pagealloc.spi.SystemCallException;
import dev.pagealloc.testkit.KernelView;
import dev.pagealloc.testkit.sim.InstructionCacheFlush;
import dev.pagealloc.testkit.sim.SimulatedMach;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The macOS platform features and the decommit order, on a simulated Apple silicon Mac. */
class MacFeaturesSimulatedTest {
    private static final SimulatedMach ARM = SimulatedMach.arm64(64L << 20);
    private static final SimulatedMachKernel KERNEL = new SimulatedMachKernel(ARM);
    private static final KernelView VIEW = ARM.addressSpace().kernelView();

    @AfterAll
    static void freeTheSimulation() {
        assertTrue(ARM.addressSpace().allocations().isEmpty(), "every test releases what it maps");
        ARM.addressSpace().close();
    }

    private static PageAllocator allocator() {
        return PageAllocator.builder().withProvider(KERNEL.provider()).build();
    }

    private static MacVirtualMemory memory() {
        return (MacVirtualMemory) KERNEL.provider().open(PlatformRequest.NONE);
    }

    @SuppressWarnings("restricted") // see the SAFETY line
    private static MemorySegment bytes(long address, long byteSize) {
        // SAFETY: callers pass a mapped, readable and writable range of the simulation, whose pages are
        // real host memory it owns until closed, and use the segment before they unmap the range.
        return MemorySegment.ofAddress(address).reinterpret(byteSize);
    }

    @Test
    void shouldKeepTheContentsWhenTheKernelRefusesTheDecommit() {
        try (Region region = allocator().allocate(2, 4)) {
            long granule = region.protectionGranuleBytes();
            region.segment().fill((byte) 9);
            ARM.failures().failNext("mach_vm_protect", SimulatedMach.KERN_PROTECTION_FAILURE);
            KernelException e = assertThrows(KernelException.class, () -> region.decommit(0, granule));
            assertTrue(e.getMessage().contains("mach_vm_protect("), e.getMessage());
            assertEquals(9, region.segment().get(JAVA_BYTE, 0), "protect first: nothing was replaced");
            assertEquals(List.of(new KernelView.Mapping(region.address(), region.address() + region.committedBytes(),
                    Protection.READ_WRITE)), VIEW.mappings(region.address(), region.committedBytes()));

            region.decommit(0, granule);
            assertEquals(Protection.NONE, VIEW.mappings(region.address(), granule).getFirst().protection());
            region.recommit(0, granule);
            assertEquals(0, region.segment().get(JAVA_BYTE, 0), "a decommit that went through zeroes");
        }
    }

    @Test
    void shouldDualMapThroughTheFeature() throws SystemCallException {
        ExecutableMemory executable = memory().feature(ExecutableMemory.class).orElseThrow();
        long size = memory().pageBytes();
        ExecutableMemory.DualMapping mapping = executable.map(size);
        try {
            assertEquals(List.of(new KernelView.Mapping(mapping.writableAddress(), mapping.writableAddress() + size,
                    Protection.READ_WRITE)), VIEW.mappings(mapping.writableAddress(), size));
            assertEquals(List.of(new KernelView.Mapping(mapping.executableAddress(),
                    mapping.executableAddress() + size, Protection.READ_EXECUTE)),
                    VIEW.mappings(mapping.executableAddress(), size));
            assertEquals(mapping.writableAddress(), ARM.sharedWith(mapping.executableAddress()).orElseThrow());
            // The simulation records the sharing (above) but backs the alias with its own host bytes, so
            // a write through one view is not read through the other here; on XNU both are one object.
            executable.flushInstructionCache(mapping.executableAddress(), 1);
            assertEquals(new InstructionCacheFlush(mapping.executableAddress(), 1),
                    ARM.bsd().icacheInvalidations().getLast());
            assertTrue(VIEW.writableExecutableMappings().isEmpty(), "W^X");
        } finally {
            executable.unmap(mapping);
        }
    }

    @Test
    void shouldAdviseRegionsWithReusablePagesAndRefuseWhatXnuHasNot() {
        try (Region region = allocator().allocate(2, 4)) {
            long bytes = region.committedBytes();
            region.advise(0, bytes, Advice.DONT_NEED);
            assertEquals(bytes, ARM.addressSpace().reusableBytes(), "MADV_FREE_REUSABLE");
            region.advise(0, bytes, Advice.REUSE);
            assertEquals(0, ARM.addressSpace().reusableBytes(), "MADV_FREE_REUSE");
            region.advise(0, bytes, Advice.WILL_NEED);
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> region.advise(0, bytes, Advice.DONT_DUMP));
            assertTrue(e.getMessage().startsWith("advise(byteOffset=0, byteLength=" + bytes + "): this platform"
                    + " cannot follow DONT_DUMP: XNU's madvise has no MADV_DONTDUMP"), e.getMessage());

            region.protect(0, bytes, Protection.READ);
            KernelException refused = assertThrows(KernelException.class,
                    () -> region.advise(0, bytes, Advice.DONT_NEED));
            assertTrue(refused.getMessage().contains("MADV_FREE_REUSABLE") && refused.getMessage().contains("EPERM"),
                    refused.getMessage());
        }
    }

    /**
     * PURGEABLE is {@code MADV_FREE} (pages kept until reclaimed, then zero); SEQUENTIAL, RANDOM and NORMAL
     * set the map entries' read-ahead behaviour, which the simulated kernel records per page.
     */
    @Test
    void shouldMakePagesFreeableAndSetTheReadBehaviour() {
        try (Region region = allocator().allocate(2, 4)) {
            long bytes = region.committedBytes();
            long page = bytes / 2;
            region.segment().fill((byte) 7);
            region.advise(page, page, Advice.PURGEABLE);
            assertEquals(page, ARM.addressSpace().freeableBytes(), "MADV_FREE marks the second page");
            assertEquals(7, region.segment().get(JAVA_BYTE, page), "contents stay until reclaimed");
            ARM.simulateMemoryPressure();
            assertEquals(0, region.segment().get(JAVA_BYTE, page), "reclaimed: zero");
            assertEquals(7, region.segment().get(JAVA_BYTE, 0), "the page not advised keeps its bytes");
            assertEquals(0, ARM.addressSpace().freeableBytes());

            region.advise(0, page, Advice.SEQUENTIAL);
            region.advise(page, page, Advice.RANDOM);
            assertEquals("sequential", ARM.addressSpace().readBehaviourAt(region.address()));
            assertEquals("random", ARM.addressSpace().readBehaviourAt(region.address() + page));
            region.advise(0, bytes, Advice.NORMAL);
            assertEquals("normal", ARM.addressSpace().readBehaviourAt(region.address()));
            assertEquals("normal", ARM.addressSpace().readBehaviourAt(region.address() + page));
        }
    }

    @Test
    void shouldCopyAnImageIntoAReservedRangeAndResetIt() throws SystemCallException {
        MacVirtualMemory memory = memory();
        MemoryImages images = memory.feature(MemoryImages.class).orElseThrow();
        long page = memory.pageBytes();
        MemoryImages.Image image;
        try (Arena arena = Arena.ofConfined()) {
            image = images.prepare(arena.allocateFrom("image"));
        }
        assertEquals(page, image.byteSize());
        long reservation = memory.reserve(2 * page, page, Backing.DEFAULT);
        try {
            images.map(reservation, image);
            assertEquals("image", bytes(reservation, page).getString(0));
            bytes(reservation, page).fill((byte) 'x');
            images.reset(reservation, image);
            assertEquals("image", bytes(reservation, page).getString(0));
            assertEquals(List.of(new KernelView.Mapping(reservation, reservation + page, Protection.READ_WRITE),
                    new KernelView.Mapping(reservation + page, reservation + 2 * page, Protection.NONE)),
                    VIEW.mappings(reservation, 2 * page));
            images.unmap(reservation, image);
            assertEquals(List.of(new KernelView.Mapping(reservation, reservation + 2 * page, Protection.NONE)),
                    VIEW.mappings(reservation, 2 * page));
        } finally {
            images.close(image);
            memory.release(reservation, 2 * page);
        }
    }

    @Test
    void shouldOfferPurgeableMemoryThroughTheFeature() throws SystemCallException {
        PurgeableMemory purgeable = memory().feature(PurgeableMemory.class).orElseThrow();
        long size = memory().pageBytes();
        long a = purgeable.allocate(size);
        bytes(a, size).fill((byte) 5);
        assertEquals(PurgeableMemory.State.NON_VOLATILE, purgeable.setState(a, PurgeableMemory.State.VOLATILE));
        ARM.simulateMemoryPressure();
        assertEquals(PurgeableMemory.State.EMPTY, purgeable.setState(a, PurgeableMemory.State.NON_VOLATILE));
        assertEquals(0, bytes(a, size).get(JAVA_BYTE, 0));
        purgeable.release(a, size);
    }

    @Test
    void shouldListEveryFeatureWithTaggingAbsent() {
        List<FeatureSupport> features = allocator().features();
        assertEquals(List.of(true, true, true, true, false), features.stream().map(FeatureSupport::available).toList(),
                features.toString());
        assertFalse(features.getLast().reason().isEmpty());
    }
}
