package dev.pagealloc.testkit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.MaximumPagesExceededException;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.Units;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The conformance suite, part 4: bad input. Every wrong argument gets its exact exception type
 * and message before any system call, and the allocator and the region keep working afterwards.
 * A backend's test implements it beside the other parts.
 */
public interface BadInputContract extends ContractSupport {


    /**
     * Asserts that {@code call} throws {@code type} with exactly {@code message}, then that the
     * allocator still allocates, and that the region (if alive) still reads and writes.
     */
    private <T extends Throwable> void assertRefused(Class<T> type, String message, Executable call,
            PageAllocator allocator, Region region) {
        T e = assertThrows(type, call);
        assertEquals(message, e.getMessage());
        assertStillWorks(allocator, region);
    }

    private void assertStillWorks(PageAllocator allocator, Region region) {
        if (region != null && region.isAlive()) {
            MemorySegment view = region.segment(0, 1);
            view.set(JAVA_BYTE, 0, (byte) 0x2C);
            assertEquals(0x2C, region.segment(0, 1).get(JAVA_BYTE, 0));
            assertKernel(region.address(), region.protectionGranuleBytes(), Protection.READ_WRITE,
                    "region after refusal");
        }
        Region probe = allocate(allocator, 1, 2);
        MemorySegment view = probe.segment();
        view.set(JAVA_BYTE, view.byteSize() - 1, (byte) 1);
        long granule = probe.protectionGranuleBytes();
        assertLayout(probe, Math.ceilDiv(probe.pageBytes(), granule) * granule);
        long start = reservationStart(probe);
        long bytes = probe.reservedBytes();
        probe.deallocate();
        assertUnmapped(start, bytes, "probe region");
    }

    /**
     * Negative or inconsistent page counts and page sizes are refused with their message, and the allocator
     * still works.
     */
    @Test
    default void shouldRefuseBadPageCounts() {
        PageAllocator a = allocator(b -> b);
        assertRefused(IllegalArgumentException.class,
                "allocate(initialPages=-1, maximumPages=4): initialPages must not be negative",
                () -> a.allocate(-1, 4), a, null);
        assertRefused(IllegalArgumentException.class,
                "allocate(initialPages=0, maximumPages=0): maximumPages must be at least 1",
                () -> a.allocate(0, 0), a, null);
        assertRefused(IllegalArgumentException.class,
                "allocate(initialPages=0, maximumPages=-5): maximumPages must be at least 1",
                () -> a.allocate(0, -5), a, null);
        assertRefused(IllegalArgumentException.class,
                "allocate(initialPages=5, maximumPages=4): initialPages exceeds maximumPages",
                () -> a.allocate(5, 4), a, null);
        assertRefused(IllegalArgumentException.class,
                "build(maximumPages=0): must be at least 1",
                () -> builder().withMaximumPages(0).build(), a, null);
        assertRefused(IllegalArgumentException.class,
                "build(pageBytes=3): not a positive power of two",
                () -> builder().withPageBytes(3).build(), a, null);
        PageAllocator withMaximum = allocator(b -> b.withMaximumPages(2));
        assertRefused(IllegalArgumentException.class,
                "allocate(initialPages=3): exceeds the builder's maximumPages=2",
                () -> withMaximum.allocate(3), withMaximum, null);
        Region zero = allocate(a, 0, 1);
        assertEquals(0, zero.byteSize());
        assertEquals(0, zero.segment().byteSize());
        assertKernel(zero.address(), usableBytes(zero), Protection.NONE, "a region of zero pages");
        assertEquals(0, zero.grow(1));
        assertLayout(zero, WASM_PAGE);
        assertRefused(IllegalArgumentException.class, "grow(additionalPages=-1): additionalPages must not be negative",
                () -> zero.grow(-1), a, zero);
        assertRefused(IllegalArgumentException.class,
                "tryGrow(additionalPages=-2): additionalPages must not be negative",
                () -> zero.tryGrow(-2), a, zero);
    }

    /** Sizes whose byte count overflows a {@code long} are refused before anything is reserved. */
    @Test
    default void shouldRefuseSizesThatOverflow() {
        PageAllocator a = allocator(b -> b);
        assertRefused(IllegalArgumentException.class,
                "allocate(initialPages=1, maximumPages=" + Long.MAX_VALUE + "): maximumPages=" + Long.MAX_VALUE
                        + " pages of 65536 bytes overflows a long (max " + Long.MAX_VALUE + " bytes)",
                () -> a.allocate(1, Long.MAX_VALUE), a, null);
        long tooMany = Long.MAX_VALUE / WASM_PAGE + 1;
        assertRefused(IllegalArgumentException.class,
                "allocate(initialPages=1, maximumPages=" + tooMany + "): maximumPages=" + tooMany
                        + " pages of 65536 bytes overflows a long (max " + Long.MAX_VALUE + " bytes)",
                () -> a.allocate(1, tooMany), a, null);
        PageAllocator bytes = allocator(b -> b.withPageBytes(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> bytes.allocate(1, Long.MAX_VALUE));
        assertTrue(e.getMessage().startsWith("allocate(initialPages=1, maximumPages=" + Long.MAX_VALUE + "): "
                + Long.MAX_VALUE + " bytes rounded up to "), e.getMessage());
        assertTrue(e.getMessage().endsWith(" overflows a long"), e.getMessage());
        assertStillWorks(bytes, null);
    }

    /** A reservation larger than the address space is refused before the kernel is asked. */
    @Test
    default void shouldRefuseSizesPastTheAddressSpace() {
        PageAllocator a = allocator(b -> b);
        int bits = a.capabilities().addressBits();
        Assumptions.assumeTrue(bits < 60, "the address space is as large as a long");
        long pages = (1L << bits) / WASM_PAGE + 1;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.allocate(0, pages));
        assertTrue(e.getMessage().startsWith("allocate(initialPages=0, maximumPages=" + pages + "): reservation of "),
                e.getMessage());
        assertTrue(e.getMessage().endsWith(" bytes exceeds the " + bits + "-bit address space (" + (1L << bits)
                + " bytes)"), e.getMessage());
        assertEquals(0, a.statistics().reservedBytes());
        assertStillWorks(a, null);
    }

    /**
     * Every range operation refuses misaligned, negative and out-of-range ranges, as argument errors, not
     * kernel failures.
     */
    @Test
    default void shouldRefuseMisalignedAndOutOfRangeRanges() {
        PageAllocator a = allocator(b -> b);
        Region region = allocate(a, 2, 4);
        long g = region.protectionGranuleBytes();
        long committed = region.committedBytes();
        String misaligned = ": byteOffset and byteLength must be multiples of the protection granule " + g + " bytes";
        String outside = ": outside the committed range [0, committedBytes=" + committed + ")";
        String negative = ": byteLength must not be negative";
        for (String op : new String[] {"protect", "decommit", "discard", "recommit"}) {
            RangeCall call = rangeCall(region, op);
            String prefix = op + "(byteOffset=";
            String suffix = op.equals("protect") ? ", protection=READ)" : ")";
            assertRefused(IllegalArgumentException.class, prefix + "1, byteLength=" + g + suffix + misaligned,
                    () -> call.apply(1, g), a, region);
            assertRefused(IllegalArgumentException.class, prefix + "0, byteLength=" + (g + 1) + suffix + misaligned,
                    () -> call.apply(0, g + 1), a, region);
            assertRefused(IllegalArgumentException.class, prefix + "0, byteLength=" + -g + suffix + negative,
                    () -> call.apply(0, -g), a, region);
            assertRefused(IndexOutOfBoundsException.class, prefix + -g + ", byteLength=" + g + suffix + outside,
                    () -> call.apply(-g, g), a, region);
            assertRefused(IndexOutOfBoundsException.class, prefix + committed + ", byteLength=" + g + suffix + outside,
                    () -> call.apply(committed, g), a, region);
            assertRefused(IndexOutOfBoundsException.class,
                    prefix + "0, byteLength=" + (committed + g) + suffix + outside,
                    () -> call.apply(0, committed + g), a, region);
            long huge = Long.MAX_VALUE & -g;
            assertRefused(IndexOutOfBoundsException.class, prefix + g + ", byteLength=" + huge + suffix + outside,
                    () -> call.apply(g, huge), a, region);
            assertLayout(region, committed);
        }
        assertThrows(NullPointerException.class, () -> region.protect(0, g, null));
        assertRefused(IndexOutOfBoundsException.class,
                "protectionAt(byteOffset=" + committed + "): outside [0, committedBytes=" + committed + ")",
                () -> region.protectionAt(committed), a, region);
        assertRefused(IndexOutOfBoundsException.class, "protectionAt(byteOffset=-1): outside [0, committedBytes="
                + committed + ")", () -> region.protectionAt(-1), a, region);
        assertEquals(0, a.statistics().failures(), "argument errors are not kernel failures");
    }

    /** Protect and discard refuse decommitted pages, and recommit refuses pages that are not decommitted. */
    @Test
    default void shouldRefuseRangesInTheWrongState() {
        PageAllocator a = allocator(b -> b);
        Region region = allocate(a, 2, 2);
        long g = region.protectionGranuleBytes();
        region.decommit(WASM_PAGE, WASM_PAGE);
        assertRefused(IllegalStateException.class, "protect(byteOffset=" + WASM_PAGE + ", byteLength=" + g
                + ", protection=READ): the page at byteOffset=" + WASM_PAGE + " is decommitted; recommit it first",
                () -> region.protect(WASM_PAGE, g, Protection.READ), a, region);
        assertRefused(IllegalStateException.class, "discard(byteOffset=" + WASM_PAGE + ", byteLength=" + g
                + "): the page at byteOffset=" + WASM_PAGE + " is decommitted; it holds nothing to discard",
                () -> region.discard(WASM_PAGE, g), a, region);
        assertRefused(IllegalArgumentException.class, "recommit(byteOffset=0, byteLength=" + 2 * WASM_PAGE
                + "): the range holds pages that are not decommitted (states [READ_WRITE, DECOMMITTED])",
                () -> region.recommit(0, 2 * WASM_PAGE), a, region);
        assertKernel(region.address() + WASM_PAGE, WASM_PAGE, Protection.NONE, "decommitted page");
    }

    /** Grow past the maximum throws {@code MaximumPagesExceededException} and leaves the layout as it was. */
    @Test
    default void shouldRefuseGrowPastTheMaximum() {
        PageAllocator a = allocator(b -> b);
        Region region = allocate(a, 1, 4);
        assertRefused(MaximumPagesExceededException.class,
                "grow(additionalPages=4): pages=1 + additionalPages=4 exceeds maximumPages=4",
                () -> region.grow(4), a, region);
        assertRefused(MaximumPagesExceededException.class, "grow(additionalPages=" + Long.MAX_VALUE
                + "): pages=1 + additionalPages=" + Long.MAX_VALUE + " exceeds maximumPages=4",
                () -> region.grow(Long.MAX_VALUE), a, region);
        assertLayout(region, WASM_PAGE);
    }

    /** Every operation on a deallocated region throws {@code IllegalStateException}, except deallocate again. */
    @Test
    default void shouldRefuseEveryOperationOnADeallocatedRegion() {
        PageAllocator a = allocator(b -> b);
        Region region = allocate(a, 1, 2);
        long g = region.protectionGranuleBytes();
        MemorySegment view = region.segment();
        region.deallocate();
        String gone = ": the region at " + Units.hex(region.address()) + " was deallocated";
        assertRefused(IllegalStateException.class,
                "protect(byteOffset=0, byteLength=" + g + ", protection=READ)" + gone,
                () -> region.protect(0, g, Protection.READ), a, null);
        assertRefused(IllegalStateException.class, "grow(additionalPages=1)" + gone, () -> region.grow(1), a, null);
        assertRefused(IllegalStateException.class, "tryGrow(additionalPages=1)" + gone, () -> region.tryGrow(1), a,
                null);
        assertRefused(IllegalStateException.class, "decommit(byteOffset=0, byteLength=" + g + ")" + gone,
                () -> region.decommit(0, g), a, null);
        assertRefused(IllegalStateException.class, "recommit(byteOffset=0, byteLength=" + g + ")" + gone,
                () -> region.recommit(0, g), a, null);
        assertRefused(IllegalStateException.class, "discard(byteOffset=0, byteLength=" + g + ")" + gone,
                () -> region.discard(0, g), a, null);
        assertRefused(IllegalStateException.class, "segment(byteOffset=0, byteLength=" + WASM_PAGE + ")" + gone,
                region::segment, a, null);
        assertRefused(IllegalStateException.class, "segment(byteOffset=0, byteLength=1)" + gone,
                () -> region.segment(0, 1), a, null);
        assertRefused(IllegalStateException.class, "protectionAt(byteOffset=0)" + gone,
                () -> region.protectionAt(0), a, null);
        assertRefused(IllegalStateException.class, "verifyGuards()" + gone, region::verifyGuards, a, null);
        assertThrows(IllegalStateException.class, () -> view.get(JAVA_BYTE, 0), "use of a segment after deallocate");
        region.deallocate();
        assertFalse(region.isAlive());
        assertStillWorks(a, null);
    }

    /** Views outside the region are refused, and a view is bounded to the range it was asked for. */
    @Test
    default void shouldRefuseSegmentRangesOutOfBounds() {
        PageAllocator a = allocator(b -> b);
        Region region = allocate(a, 1, 2);
        long size = region.byteSize();
        String outside = ": outside [0, byteSize=" + size + ")";
        long[][] bad = {{-1, 1}, {0, -1}, {0, size + 1}, {size, 1}, {size + 1, 0}, {1, Long.MAX_VALUE},
            {Long.MAX_VALUE, Long.MAX_VALUE}, {Long.MIN_VALUE, 1}};
        for (long[] r : bad) {
            assertRefused(IndexOutOfBoundsException.class,
                    "segment(byteOffset=" + r[0] + ", byteLength=" + r[1] + ")" + outside,
                    () -> region.segment(r[0], r[1]), a, region);
        }
        assertEquals(0, region.segment(size, 0).byteSize(), "an empty view at the end is in bounds");
        MemorySegment view = region.segment(size - 8, 8);
        assertThrows(IndexOutOfBoundsException.class, () -> view.get(JAVA_BYTE, 8), "the view is bounded");
        assertThrows(IndexOutOfBoundsException.class, () -> view.asSlice(0, 9));
        assertStillWorks(a, region);
    }

    private static RangeCall rangeCall(Region region, String op) {
        return switch (op) {
            case "protect" -> (o, l) -> region.protect(o, l, Protection.READ);
            case "decommit" -> region::decommit;
            case "discard" -> region::discard;
            case "recommit" -> region::recommit;
            default -> throw new IllegalArgumentException(op);
        };
    }
}
