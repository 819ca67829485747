package dev.pagealloc.heap.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.Capabilities.TransparentHugePageMode;
import dev.pagealloc.api.HugePages;
import dev.pagealloc.api.NumaPolicy;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.ViewQuarantine;
import dev.pagealloc.api.ViewSharing;
import dev.pagealloc.testkit.ProcMaps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The page allocator's huge-page and NUMA options reach every region of the heap (nursery, old generation,
 * card table), in the kernel's own view: smaps' {@code VmFlags} ({@code hg}: {@code MADV_HUGEPAGE}) and
 * {@code AnonHugePages} (proc(5), "/proc/pid/smaps"), and numa_maps' policy ({@code bind:0}) and per-node
 * page counts ({@code N0=}) (numa(7), "/proc/pid/numa_maps").
 */
class HugePagesAndNumaTest {

    private static final long MIB = 1 << 20;

    private static List<Region> regions(GcHeap heap) {
        return List.of(heap.nursery.region, heap.old.region, heap.old.cardRegion);
    }

    /** Fills about {@code mib} MiB of the heap with live 24-byte objects, some of them promoted. */
    private static void fill(GcHeap heap, int mib) {
        int pair = heap.registerType(new TypeLayout.Fixed("Pair", 16, 0, 8));
        ShadowStack stack = heap.shadowStack();
        stack.pushFrame();
        int head = stack.addRoot(0);
        for (long i = 0; i < mib * MIB / 24; i++) {
            long node = heap.allocate(pair);
            heap.setReference(node, 0, stack.root(head));
            stack.setRoot(head, node);
        }
        heap.collect(false);
        heap.collect(false);
        stack.popFrame();
    }

    /** {@return the smaps lines (header and fields) of the mappings that overlap {@code region}} */
    private static List<String> smapsOf(Region region) throws IOException {
        List<String> lines = new ArrayList<>();
        boolean inside = false;
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
            String[] words = line.trim().split("\\s+");
            if (words.length >= 2 && words[0].contains("-") && words[1].length() == 4) {
                String[] range = words[0].split("-");
                long start = Long.parseUnsignedLong(range[0], 16);
                long end = Long.parseUnsignedLong(range[1], 16);
                inside = start < region.address() + region.byteSize() && end > region.address();
            }
            if (inside) {
                lines.add(line);
            }
        }
        return lines;
    }

    @Test
    void shouldAdviseHugePagesOnEveryRegionAndBackTheNurseryWithThem() throws IOException {
        Assumptions.assumeTrue(ProcMaps.available(), "no /proc/self/smaps");
        PageAllocator allocator = PageAllocator.builder().withViewSharing(ViewSharing.SHARED)
                .withViewQuarantine(ViewQuarantine.NONE).withHugePages(HugePages.transparent()).build();
        TransparentHugePageMode mode = allocator.capabilities().transparentHugePages();
        Assumptions.assumeTrue(mode == TransparentHugePageMode.MADVISE || mode == TransparentHugePageMode.ALWAYS,
                "transparent huge pages are " + mode);
        try (GcHeap heap = GcHeap.builder().withPageAllocator(allocator).withNurseryBytes(16 * MIB)
                .withOldGenerationLimitBytes(64 * MIB).withVerifyAfterCollection(true).build()) {
            fill(heap, 12);
            for (Region region : regions(heap)) {
                assertEquals(HugePages.transparent(), region.appliedOptions().hugePages());
                List<String> smaps = smapsOf(region);
                List<String> flags = smaps.stream().filter(l -> l.startsWith("VmFlags:")).toList();
                assertFalse(flags.isEmpty(), () -> "no mapping over the region: " + smaps);
                assertTrue(flags.stream().allMatch(l -> List.of(l.split("\\s+")).contains("hg")),
                        () -> "MADV_HUGEPAGE (hg) on every mapping of the region: " + smaps);
            }
            // The nursery is committed whole and its blocks were written: the kernel backs it with huge pages
            // where a 2 MiB-aligned range is faulted in (mm/huge_memory.c, do_huge_pmd_anonymous_page).
            long hugeKilobytes = smapsOf(heap.nursery.region).stream().filter(l -> l.startsWith("AnonHugePages:"))
                    .mapToLong(l -> Long.parseLong(l.trim().split("\\s+")[1])).sum();
            assertTrue(hugeKilobytes >= 2048, () -> "AnonHugePages " + hugeKilobytes + " kB on the nursery");
        }
    }

    @Test
    void shouldBindEveryRegionToNodeZero() throws IOException {
        Path numaMaps = Path.of("/proc/self/numa_maps");
        Assumptions.assumeTrue(Files.isReadable(numaMaps), "no /proc/self/numa_maps");
        PageAllocator allocator = PageAllocator.builder().withViewSharing(ViewSharing.SHARED)
                .withViewQuarantine(ViewQuarantine.NONE).withNumaPolicy(NumaPolicy.bind(0)).build();
        Assumptions.assumeTrue(allocator.capabilities().numaNode(0).isPresent(), "no NUMA node 0");
        try (GcHeap heap = GcHeap.builder().withPageAllocator(allocator).withNurseryBytes(4 * MIB)
                .withOldGenerationLimitBytes(64 * MIB).withTenureAge(1).withVerifyAfterCollection(true).build()) {
            fill(heap, 6);
            List<String> lines = Files.readAllLines(numaMaps);
            for (Region region : regions(heap)) {
                assertEquals(NumaPolicy.bind(0), region.appliedOptions().numaPolicy());
                List<String> covering = new ArrayList<>();
                for (String line : lines) {
                    long start = Long.parseUnsignedLong(line.substring(0, line.indexOf(' ')), 16);
                    if (start >= region.address() && start < region.address() + region.byteSize()) {
                        covering.add(line);
                    }
                }
                assertFalse(covering.isEmpty(), "numa_maps has the region at 0x" + Long.toHexString(region.address()));
                assertTrue(covering.stream().allMatch(l -> l.contains(" bind:0")),
                        () -> "bind:0 on every mapping of the region: " + covering);
                // The card table has pages only once a card is written; the nursery and the promoted objects have.
                if (region != heap.old.cardRegion) {
                    assertTrue(covering.stream().anyMatch(l -> l.contains(" N0=")),
                            () -> "pages resident on node 0: " + covering);
                }
            }
        }
    }
}
