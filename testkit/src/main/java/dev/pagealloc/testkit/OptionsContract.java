package dev.pagealloc.testkit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.HugePages;
import dev.pagealloc.api.MemoryTagging;
import dev.pagealloc.api.NumaPolicy;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.UnsupportedOptionException;
import java.lang.foreign.MemorySegment;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The conformance suite, part 6: options are honoured or refused, never silently dropped. NUMA
 * placement and prefaulting are checked in the kernel's view where it can observe them (skipped
 * through assumptions where it cannot); options the platform lacks are refused without best effort
 * and reported as downgrades with it. A backend's test implements it beside the other parts.
 */
public interface OptionsContract extends ContractSupport {


    /** Pages of a region bound to a NUMA node are placed on that node. */
    @Test
    default void shouldPlacePagesOnTheBoundNode() {
        Capabilities capabilities = allocator(b -> b).capabilities();
        Assumptions.assumeFalse(capabilities.numaNodes().isEmpty(), "the platform has no NUMA nodes");
        int node = capabilities.numaNodes().getLast().id();
        Region region = allocate(allocator(b -> b.withNumaNode(node)), 4, 4);
        assertEquals(NumaPolicy.bind(node), region.appliedOptions().numaPolicy());
        MemorySegment view = region.segment();
        for (long offset = 0; offset < view.byteSize(); offset += region.protectionGranuleBytes()) {
            view.set(JAVA_BYTE, offset, (byte) 1);
        }
        OptionalInt placed = kernelView().numaNodeOf(region.address() + 3 * WASM_PAGE);
        Assumptions.assumeTrue(placed.isPresent(), "the kernel view cannot observe NUMA placement");
        assertEquals(node, placed.getAsInt(), "the node of a touched page");
        assertEquals(node, kernelView().numaNodeOf(region.address()).orElseThrow());
    }

    /** Without NUMA nodes, a node binding is refused, or downgraded and reported with best effort. */
    @Test
    default void shouldRefuseOrDowngradeNumaWhereThereIsNone() {
        Capabilities capabilities = allocator(b -> b).capabilities();
        Assumptions.assumeTrue(capabilities.numaNodes().isEmpty(), "the platform has NUMA nodes");
        UnsupportedOptionException e = assertThrows(UnsupportedOptionException.class,
                () -> allocator(b -> b.withNumaNode(0)));
        assertEquals("numaPolicy=" + NumaPolicy.bind(0), e.option());
        Region region = allocate(allocator(b -> b.withNumaNode(0).withBestEffort(true)), 1, 1);
        assertEquals(NumaPolicy.none(), region.appliedOptions().numaPolicy());
        assertEquals(1, region.appliedOptions().downgrades().size(), region.appliedOptions().downgrades()::toString);
        assertTrue(region.appliedOptions().downgrades().getFirst()
                .startsWith("numaPolicy=" + NumaPolicy.bind(0) + " -> "));
    }

    /** A binding to a node that does not exist is refused, or downgraded and reported with best effort. */
    @Test
    default void shouldRefuseANumaNodeThatDoesNotExistOrDowngradeItWithBestEffort() {
        Capabilities capabilities = allocator(b -> b).capabilities();
        Assumptions.assumeFalse(capabilities.numaNodes().isEmpty(), "the platform has no NUMA nodes");
        int missing = NumaPolicy.MAX_NODE;
        Assumptions.assumeTrue(capabilities.numaNode(missing).isEmpty(), "the machine has 1024 nodes");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> allocator(b -> b.withNumaNode(missing)));
        assertTrue(e.getMessage().startsWith("build(numaPolicy=" + NumaPolicy.bind(missing) + "): NUMA node " + missing
                + " does not exist; nodes: "), e.getMessage());
        Region region = allocate(allocator(b -> b.withNumaNode(missing).withBestEffort(true)), 1, 1);
        assertEquals(NumaPolicy.none(), region.appliedOptions().numaPolicy(), "downgraded, as the README promises");
        assertEquals(1, region.appliedOptions().downgrades().size(), region.appliedOptions().downgrades()::toString);
        assertTrue(region.appliedOptions().downgrades().getFirst().startsWith("numaPolicy=" + NumaPolicy.bind(missing)
                + " -> " + NumaPolicy.none() + ": NUMA node " + missing + " does not exist; nodes: "),
                region.appliedOptions().downgrades()::toString);
        assertLayout(region, WASM_PAGE);
    }

    /**
     * Page locking works where the capabilities promise it; where they do not, it is refused at build, or
     * downgraded and reported with best effort.
     */
    @Test
    default void shouldLockOrRefuseLockingAtBuildAsTheCapabilitiesSay() {
        Capabilities capabilities = allocator(b -> b).capabilities();
        if (capabilities.pageLocking()) {
            Region region = allocate(allocator(b -> b.withLock(true)), 1, 2);
            assertTrue(region.appliedOptions().locked());
            region.grow(1);
            assertLayout(region, 2 * WASM_PAGE);
            return;
        }
        UnsupportedOptionException e = assertThrows(UnsupportedOptionException.class,
                () -> allocator(b -> b.withLock(true)));
        assertTrue(e.getMessage().startsWith("build(): lock=true is not available: "), e.getMessage());
        assertFalse(e.getMessage().contains("populate"), "names only the option asked: " + e.getMessage());
        Region region = allocate(allocator(b -> b.withLock(true).withBestEffort(true)), 1, 2);
        assertFalse(region.appliedOptions().locked(), "never claims a lock it did not take");
        assertTrue(region.appliedOptions().downgrades().getFirst().startsWith("lock=true -> false: "),
                region.appliedOptions().downgrades()::toString);
        assertEquals(1, region.grow(1), "and grows like any region");
        assertLayout(region, 2 * WASM_PAGE);
    }

    /** A huge page size the platform lacks is refused at build, or downgraded and reported with best effort. */
    @Test
    default void shouldRefuseOrDowngradeAHugePageSizeThePlatformLacks() {
        HugePages absent = HugePages.explicit(1L << 40);
        Assumptions.assumeTrue(allocator(b -> b).capabilities().hugePageSize(1L << 40).isEmpty(), "1 TiB pages exist");
        UnsupportedOptionException e = assertThrows(UnsupportedOptionException.class,
                () -> allocator(b -> b.withHugePages(absent)));
        assertTrue(e.getMessage().startsWith("build(): hugePages=explicit(1 TiB) is not available: "), e.getMessage());
        Region region = allocate(allocator(b -> b.withHugePages(absent).withBestEffort(true)), 1, 2);
        assertFalse(region.appliedOptions().hugePages() instanceof HugePages.Explicit, "downgraded");
        assertTrue(region.appliedOptions().downgrades().getFirst().startsWith("hugePages=explicit(1 TiB) -> "),
                region.appliedOptions().downgrades()::toString);
        assertLayout(region, WASM_PAGE);
    }

    /** Memory tagging without the hardware is refused at build, or downgraded and reported with best effort. */
    @Test
    default void shouldRefuseOrDowngradeMemoryTaggingWithoutTheHardware() {
        Assumptions.assumeFalse(allocator(b -> b).capabilities().memoryTagging(), "the CPU has memory tagging");
        MemoryTagging sync = MemoryTagging.of(MemoryTagging.TagCheckMode.SYNC);
        assertThrows(UnsupportedOptionException.class, () -> allocator(b -> b.withMemoryTagging(sync)));
        Region region = allocate(allocator(b -> b.withMemoryTagging(sync).withBestEffort(true)), 1, 1);
        assertEquals(MemoryTagging.NONE, region.appliedOptions().memoryTagging());
        assertTrue(region.appliedOptions().downgrades().getFirst().startsWith("memoryTagging="));
    }

    /** Software tagging asks nothing of the platform: every backend gives it, and best available resolves. */
    @Test
    default void shouldGiveSoftwareTaggingOnEveryPlatform() {
        MemoryTagging software = MemoryTagging.of(MemoryTagging.TaggingPolicy.SOFTWARE,
                MemoryTagging.TagCheckMode.ASYNC);
        Region region = allocate(allocator(b -> b.withMemoryTagging(software)), 1, 1);
        assertEquals(software, region.appliedOptions().memoryTagging());
        assertTrue(region.appliedOptions().downgrades().isEmpty(), region.appliedOptions().downgrades()::toString);
        boolean mte = allocator(b -> b).capabilities().memoryTagging();
        Region best = allocate(allocator(b -> b.withMemoryTagging(MemoryTagging.TaggingPolicy.BEST_AVAILABLE,
                MemoryTagging.TagCheckMode.SYNC)), 1, 1);
        assertEquals(mte ? MemoryTagging.TaggingPolicy.HARDWARE : MemoryTagging.TaggingPolicy.SOFTWARE,
                best.appliedOptions().memoryTagging().policy());
    }

    /** Populate prefaults the pages where the platform can, and is refused or downgraded where it cannot. */
    @Test
    default void shouldPrefaultWhenAskedToPopulate() {
        if (!allocator(b -> b).capabilities().prefaulting()) {
            UnsupportedOptionException e = assertThrows(UnsupportedOptionException.class,
                    () -> allocator(b -> b.withPopulate(true)));
            assertTrue(e.getMessage().startsWith("build(): populate=true is not available: "), e.getMessage());
            Region region = allocate(allocator(b -> b.withPopulate(true).withBestEffort(true)), 1, 1);
            assertFalse(region.appliedOptions().populated(), "never claims pages it did not prefault");
            assertTrue(region.appliedOptions().downgrades().getFirst().startsWith("populate=true -> false: "),
                    region.appliedOptions().downgrades()::toString);
            assertLayout(region, WASM_PAGE);
            return;
        }
        // The capabilities promise prefaulting, so a refusal here is a failure, not the other outcome.
        Region region = allocate(allocator(b -> b.withPopulate(true)), 2, 4);
        assertTrue(region.appliedOptions().populated());
        assertTrue(region.appliedOptions().downgrades().isEmpty(), region.appliedOptions().downgrades()::toString);
        assertLayout(region, 2 * WASM_PAGE);
        OptionalLong resident = kernelView().residentBytes(region.address(), 2 * WASM_PAGE);
        Assumptions.assumeTrue(resident.isPresent(), "the kernel view cannot observe residency");
        assertEquals(2 * WASM_PAGE, resident.getAsLong(), "populated pages are resident before any touch");
        region.grow(1);
        assertEquals(3 * WASM_PAGE, kernelView().residentBytes(region.address(), 3 * WASM_PAGE).getAsLong(),
                "grown pages are populated too");
        assertZero(region.segment(), "populated pages");
    }
}
