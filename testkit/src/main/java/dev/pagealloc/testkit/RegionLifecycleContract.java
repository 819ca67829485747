package dev.pagealloc.testkit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.UnsupportedOptionException;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The conformance suite, part 1: the life of a region (allocate with guards, grow in place,
 * zeroed pages, protection, release), each step checked against the {@link KernelView}.
 * A backend's test implements it beside the other parts.
 */
public interface RegionLifecycleContract extends ContractSupport {


    /** A region reserves its guards and uncommitted tail inaccessible and commits only its initial pages. */
    @Test
    default void shouldReserveGuardsAndTailInaccessibleAndCommitThePrefix() {
        PageAllocator allocator = allocator(b -> b.withGuardPages(true));
        long system = allocator.capabilities().pageBytes();
        Region region = allocate(allocator, 2, 8);
        assertEquals(system, region.guardBeforeBytes(), "default guard before is one system page");
        assertTrue(region.guardAfterBytes() >= system, "default guard after is at least one system page");
        assertEquals(0, region.address() % region.protectionGranuleBytes(), "base is granule-aligned");
        assertEquals(2, region.pages());
        assertEquals(2 * WASM_PAGE, region.byteSize());
        assertEquals(2 * WASM_PAGE, region.committedBytes());
        assertLayout(region, 2 * WASM_PAGE);
        MemorySegment view = region.segment();
        assertEquals(region.address(), view.address());
        assertEquals(2 * WASM_PAGE, view.byteSize());
        view.set(JAVA_BYTE, 0, (byte) 1);
        view.set(JAVA_BYTE, view.byteSize() - 1, (byte) 2);
        assertEquals(2, view.get(JAVA_BYTE, view.byteSize() - 1));
        assertWritableExecutableFree();
    }

    /**
     * Guards asked for explicitly are at least the asked size, and a region without guards starts where
     * its reservation does.
     */
    @Test
    default void shouldPlaceExplicitGuardsOfTheAskedSize() {
        PageAllocator allocator = allocator(b -> b);
        long system = allocator.capabilities().pageBytes();
        PageAllocator guarded = allocator(b -> b.withGuardBytes(2 * system, 3 * system));
        Region region = allocate(guarded, 1, 4);
        assertEquals(2 * system, region.guardBeforeBytes());
        assertTrue(region.guardAfterBytes() >= 3 * system, () -> "guardAfterBytes=" + region.guardAfterBytes());
        assertLayout(region, WASM_PAGE);
        Region unguarded = allocate(allocator(b -> b.withGuardPages(false)), 1, 4);
        assertEquals(0, unguarded.guardBeforeBytes());
        assertEquals(unguarded.address(), reservationStart(unguarded));
        assertLayout(unguarded, WASM_PAGE);
    }

    /** Grow keeps the base address and the contents and commits exactly the new pages, which read zero. */
    @Test
    default void shouldGrowInPlaceCommittingExactlyTheNewPages() {
        PageAllocator allocator = allocator(b -> b);
        Region region = allocate(allocator, 1, 8);
        long base = region.address();
        MemorySegment before = region.segment();
        before.fill((byte) 0x5A);
        long committed = allocator.statistics().committedBytes();

        assertEquals(1, region.grow(2));
        assertEquals(base, region.address(), "the base never moves");
        assertEquals(3, region.pages());
        assertEquals(committed + 2 * WASM_PAGE, allocator.statistics().committedBytes());
        assertLayout(region, 3 * WASM_PAGE);
        MemorySegment after = region.segment();
        assertEquals(base, after.address());
        assertEquals(3 * WASM_PAGE, after.byteSize());
        assertFilled(after.asSlice(0, WASM_PAGE), (byte) 0x5A, "contents before the grow");
        assertZero(after.asSlice(WASM_PAGE, 2 * WASM_PAGE), "freshly grown pages");
        assertEquals(0x5A, before.get(JAVA_BYTE, 0), "a view from before the grow stays valid");
        assertEquals(WASM_PAGE, before.byteSize(), "and keeps its size");

        assertEquals(3, region.grow(0), "grow(0) reports the size");
        assertEquals(3, region.grow(5));
        assertEquals(8, region.pages());
        assertLayout(region, 8 * WASM_PAGE);
        assertEquals(base, region.address());
        assertWritableExecutableFree();
    }

    /** Recommitted pages read zero, and pages around them keep their contents. */
    @Test
    default void shouldReadZeroInRecommittedPages() {
        Region region = allocate(allocator(b -> b), 4, 4);
        long granule = region.protectionGranuleBytes();
        region.segment().fill((byte) 0xFF);
        region.decommit(WASM_PAGE, 2 * WASM_PAGE);
        assertKernel(region.address() + WASM_PAGE, 2 * WASM_PAGE, Protection.NONE, "decommitted pages");
        assertKernel(region.address(), WASM_PAGE, Protection.READ_WRITE, "pages before");
        assertKernel(region.address() + 3 * WASM_PAGE, WASM_PAGE, Protection.READ_WRITE, "pages after");
        assertEquals(Protection.NONE, region.protectionAt(WASM_PAGE + granule));
        assertThrows(IllegalStateException.class, () -> region.segment(WASM_PAGE, 1));

        region.recommit(WASM_PAGE, 2 * WASM_PAGE);
        assertLayout(region, 4 * WASM_PAGE);
        assertZero(region.segment(WASM_PAGE, 2 * WASM_PAGE), "recommitted pages");
        assertFilled(region.segment(0, WASM_PAGE), (byte) 0xFF, "pages never decommitted");
        assertFilled(region.segment(3 * WASM_PAGE, WASM_PAGE), (byte) 0xFF, "pages never decommitted");
    }

    /** Every protection the backend offers is what the kernel then reports for the page. */
    @Test
    default void shouldChangeWhatTheKernelReportsOnProtect() {
        Region region = allocate(allocator(b -> b), 1, 2);
        long granule = region.protectionGranuleBytes();
        long base = region.address();
        region.segment().fill((byte) 7);
        for (Protection protection : Protection.values()) {
            if (protection == Protection.READ_EXECUTE && !canExecute()) {
                continue;
            }
            region.protect(granule, granule, protection);
            assertKernel(base + granule, granule, protection, "protected page");
            assertKernel(base, granule, Protection.READ_WRITE, "page before");
            assertEquals(protection, region.protectionAt(granule));
            assertWritableExecutableFree();
            if (protection.isReadable()) {
                MemorySegment view = region.segment(granule, granule);
                assertEquals(7, view.get(JAVA_BYTE, 0), "contents survive a protection change");
                assertEquals(!protection.isWritable(), view.isReadOnly(), "view of a " + protection + " page");
            } else {
                assertThrows(IllegalStateException.class, () -> region.segment(granule, granule));
            }
        }
        region.protect(0, region.committedBytes(), Protection.READ_WRITE);
        assertLayout(region, region.committedBytes());
    }

    /** A view of read-only pages is read-only; writes through it throw instead of faulting. */
    @Test
    default void shouldRefuseWritesThroughReadOnlyViews() {
        Region region = allocate(allocator(b -> b), 2, 2);
        long granule = region.protectionGranuleBytes();
        region.segment().fill((byte) 3);
        region.protect(0, granule, Protection.READ);
        MemorySegment readOnly = region.segment(0, granule);
        assertTrue(readOnly.isReadOnly());
        assertThrows(IllegalArgumentException.class, () -> readOnly.set(JAVA_BYTE, 0, (byte) 1));
        assertThrows(IllegalArgumentException.class, () -> readOnly.fill((byte) 1));
        assertTrue(region.segment().isReadOnly(), "a view over any read-only page is read-only");
        assertEquals(3, readOnly.get(JAVA_BYTE, granule - 1));
        MemorySegment writable = region.segment(granule, granule);
        assertFalse(writable.isReadOnly());
        writable.set(JAVA_BYTE, 0, (byte) 4);
        assertKernel(region.address(), granule, Protection.READ, "read-only page");
    }

    /**
     * Where memory cannot run code, the capabilities leave out {@code READ_EXECUTE}, and protect refuses it
     * before any view is invalidated.
     */
    @Test
    default void shouldRefuseExecuteWhereTheMemoryCannotRunBeforeTouchingAnyView() {
        Assumptions.assumeFalse(canExecute(), "the backend runs code");
        PageAllocator allocator = allocator(b -> b);
        assertFalse(allocator.capabilities().protections().contains(Protection.READ_EXECUTE),
                "the capabilities say what protect refuses");
        Region region = allocate(allocator, 1, 1);
        long granule = region.protectionGranuleBytes();
        MemorySegment view = region.segment();
        view.set(JAVA_BYTE, 0, (byte) 9);
        UnsupportedOptionException e = assertThrows(UnsupportedOptionException.class,
                () -> region.protect(0, granule, Protection.READ_EXECUTE));
        assertTrue(e.getMessage().startsWith("protect(byteOffset=0, byteLength=" + granule
                + ", protection=READ_EXECUTE): protection=READ_EXECUTE is not available: platform "), e.getMessage());
        assertLayout(region, region.committedBytes());
        assertEquals(Protection.READ_WRITE, region.protectionAt(0));
        assertEquals(9, view.get(JAVA_BYTE, 0), "refused before any view was invalidated");
    }

    /** A grow into a protection granule that is not read-write is refused, and succeeds once the granule is. */
    @Test
    default void shouldRefuseAGrowIntoAGranuleThatIsNotReadWriteAndGrowOnceItIs() {
        PageAllocator allocator = allocator(b -> b.withPageBytes(1).withGuardPages(true));
        long granule = allocator.capabilities().pageBytes();
        Region region = allocate(allocator, 10, 3 * granule);
        assertEquals(granule, region.committedBytes());
        region.segment().fill((byte) 6);
        long base = region.address();
        region.protect(0, granule, Protection.READ);
        IllegalStateException protectedGranule = assertThrows(IllegalStateException.class, () -> region.grow(1));
        assertEquals("grow(additionalPages=1): the new pages would start inside the granule at byteOffset=0 (" + granule
                + " bytes), which the region's last pages share and which is protected READ; make it READ_WRITE first"
                + " (protect)", protectedGranule.getMessage());
        assertThrows(IllegalStateException.class, () -> region.tryGrow(1));
        assertEquals(10, region.pages(), "nothing changed");
        assertKernel(base, granule, Protection.READ, "the shared granule keeps its protection");
        region.decommit(0, granule);
        IllegalStateException decommitted = assertThrows(IllegalStateException.class, () -> region.grow(granule));
        assertTrue(decommitted.getMessage().endsWith("which is decommitted; make it READ_WRITE first (recommit)"),
                decommitted.getMessage());
        assertEquals(10, region.pages());
        assertKernelRuns(base, 3 * granule, java.util.List.of(new KernelView.Mapping(base, base + 3 * granule,
                Protection.NONE)), "decommitted granule and reserved tail");
        region.recommit(0, granule);
        assertEquals(10, region.grow(granule), "a READ_WRITE granule takes new pages");
        assertKernel(base, 2 * granule, Protection.READ_WRITE, "grown pages");
        assertZero(region.segment(), "grown and recommitted pages read zero");
    }

    /** Deallocate unmaps the whole reservation, guards included, and invalidates its views. */
    @Test
    default void shouldRemoveEveryMappingOnDeallocate() {
        PageAllocator allocator = allocator(b -> b.withGuardPages(true));
        Region region = allocate(allocator, 3, 16);
        region.protect(0, region.protectionGranuleBytes(), Protection.READ);
        region.decommit(WASM_PAGE, WASM_PAGE);
        long start = reservationStart(region);
        long bytes = region.reservedBytes();
        MemorySegment view = region.segment(2 * WASM_PAGE, WASM_PAGE);
        region.deallocate();
        assertFalse(region.isAlive());
        assertUnmapped(start, bytes, "deallocated reservation");
        assertThrows(IllegalStateException.class, () -> view.get(JAVA_BYTE, 0), "a stale view after deallocate");
        assertWritableExecutableFree();
    }

    /** Deallocating a region again, closing it or handing it to the allocator again does nothing. */
    @Test
    default void shouldTreatDeallocateAgainAsANoOp() {
        PageAllocator allocator = allocator(b -> b);
        Region region = allocate(allocator, 1, 2);
        long start = reservationStart(region);
        long bytes = region.reservedBytes();
        region.deallocate();
        region.deallocate();
        region.close();
        allocator.deallocate(region);
        assertUnmapped(start, bytes, "deallocated reservation");
        assertEquals(1, allocator.statistics().deallocations());
        assertEquals(0, allocator.statistics().liveRegions());
        assertEquals(0, allocator.statistics().reservedBytes());
    }

    /**
     * The allocator's {@code grow} and {@code protect} act on the region, the builder's maximum pages applies,
     * and closing the region deallocates it.
     */
    @Test
    default void shouldGrowThroughTheAllocatorAndDeallocateOnClose() {
        PageAllocator allocator = allocator(b -> b.withMaximumPages(4));
        long start;
        long bytes;
        try (Region region = track(allocator.allocate(1))) {
            assertEquals(4, region.maximumPages());
            assertEquals(1, allocator.grow(region, 1));
            allocator.protect(region, 0, region.protectionGranuleBytes(), Protection.READ);
            assertKernel(region.address(), region.protectionGranuleBytes(), Protection.READ, "protected page");
            start = reservationStart(region);
            bytes = region.reservedBytes();
        }
        assertUnmapped(start, bytes, "closed region");
    }

    /**
     * Logical page sizes: the WebAssembly page, the system page (0 stands for it) and 1 byte.
     *
     * @param asked the page size, in bytes, or 0 for the system page
     */
    @ParameterizedTest(name = "pageBytes={0} (0 = the system page)")
    @ValueSource(longs = {64 * 1024, 0, 1})
    default void shouldHonourLogicalPageSizes(long asked) {
        long system = allocator(b -> b).capabilities().pageBytes();
        long pageBytes = asked == 0 ? system : asked;
        PageAllocator allocator = allocator(b -> b.withPageBytes(pageBytes));
        assertEquals(pageBytes, allocator.pageBytes());
        long initial = pageBytes == 1 ? 100 : 3;
        long maximum = pageBytes == 1 ? 3 * system + 1 : 9;
        Region region = allocate(allocator, initial, maximum);
        long granule = region.protectionGranuleBytes();
        long committed = Math.ceilDiv(initial * pageBytes, granule) * granule;
        assertEquals(initial * pageBytes, region.byteSize());
        assertEquals(committed, region.committedBytes());
        assertLayout(region, committed);
        MemorySegment view = region.segment();
        assertEquals(initial * pageBytes, view.byteSize());
        view.set(JAVA_BYTE, view.byteSize() - 1, (byte) 9);
        assertThrows(IndexOutOfBoundsException.class, () -> view.get(JAVA_BYTE, view.byteSize()));

        long growBy = maximum - initial;
        assertEquals(initial, region.grow(growBy));
        long grownCommitted = Math.ceilDiv(maximum * pageBytes, granule) * granule;
        assertLayout(region, grownCommitted);
        MemorySegment grown = region.segment();
        assertEquals(maximum * pageBytes, grown.byteSize());
        assertEquals(9, grown.get(JAVA_BYTE, initial * pageBytes - 1));
        assertZero(grown.asSlice(initial * pageBytes), "grown bytes");
        grown.set(JAVA_LONG_UNALIGNED, grown.byteSize() - 8, -1L);
        assertEquals(-1, region.tryGrow(1), "grow past the maximum");
    }
}
