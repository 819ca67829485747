package dev.pagealloc.linux;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.HugePages;
import dev.pagealloc.api.KernelException;
import dev.pagealloc.api.NumaPolicy;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.UnsupportedOptionException;
import dev.pagealloc.platform.support.MapsLine;
import dev.pagealloc.testkit.KernelView;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Explicit (hugetlb) huge pages for real: as root each test sizes the pool it needs in
 * {@code /sys/kernel/mm/hugepages} and puts the old size back, then checks {@code KernelPageSize}
 * in smaps and the pool's own counters. Where the pool cannot be sized (not root, no 1 GiB page to
 * be had) the test is skipped with the reason, never passed.
 */
// Binds and calls the real Linux kernel (or reads its /proc); other OSes run their own backends.
@EnabledOnOs(OS.LINUX)
class LinuxHugeTlbTest {
    private static final long MIB2 = 2L << 20;
    private static final long GIB = 1L << 30;

    private final ProcKernelView view = new ProcKernelView();
    private final List<Region> regions = new ArrayList<>();

    @AfterEach
    void deallocateAndSweep() {
        for (Region region : regions) {
            long start = region.address() - region.guardBeforeBytes();
            region.deallocate();
            assertEquals(List.of(), view.mappings(start, region.reservedBytes()), "nothing left mapped");
        }
        for (String line : view.writableExecutableMappings()) {
            long start = MapsLine.parse(line).start();
            assertFalse(regions.stream().anyMatch(r -> start >= r.address() - r.guardBeforeBytes()
                    && start < r.address() + r.reservedBytes()), "W^X: " + line);
        }
    }

    private Region allocate(PageAllocator allocator, long initialPages, long maximumPages) {
        Region region = allocator.allocate(initialPages, maximumPages);
        regions.add(region);
        return region;
    }

    private static PageAllocator explicit(long pageBytes, NumaPolicy numa, boolean bestEffort) {
        return PageAllocator.builder().withPlatform("linux").withPageBytes(pageBytes)
                .withHugePages(HugePages.explicit(pageBytes)).withNumaPolicy(numa).withBestEffort(bestEffort).build();
    }

    private long kernelPageKilobytes(long address, long byteSize) {
        List<ProcKernelView.Smaps> smaps = view.smaps(address, byteSize);
        assertEquals(1, smaps.stream().mapToLong(s -> s.kilobytes("KernelPageSize")).distinct().count(),
                smaps::toString);
        return smaps.getFirst().kilobytes("KernelPageSize");
    }

    @Test
    void shouldBackExplicit2MiBPagesFromThePoolAndGiveThemBack() {
        Optional<HugePagePool> grown = HugePagePool.grow(MIB2, 3);
        Assumptions.assumeTrue(grown.isPresent(), "cannot put 3 free 2 MiB pages in the pool (needs root and memory)");
        try (HugePagePool pool = grown.get()) {
            long free = pool.freePages();
            long reserved = pool.reservedPages();
            Region region = allocate(explicit(MIB2, NumaPolicy.bind(0), false), 2, 3);
            long base = region.address();

            assertEquals(HugePages.explicit(MIB2), region.appliedOptions().hugePages());
            assertEquals(2048, kernelPageKilobytes(base, 2 * MIB2), "KernelPageSize of the committed pages");
            assertEquals(reserved + 2, pool.reservedPages(), "commit reserves both pages, so no touch can SIGBUS");
            assertArrayEquals(new long[] {LinuxAbi.MPOL_BIND, 1}, view.policyOf(base), "the hugetlb mapping is bound");
            region.segment().fill((byte) 3);
            assertEquals(free - 2, pool.freePages(), "touching takes the pages from the pool");
            assertEquals(reserved, pool.reservedPages());
            assertEquals(2 * MIB2, view.residentBytes(base, 2 * MIB2).getAsLong());
            assertEquals(0, view.numaNodeOf(base).orElseThrow());

            region.discard(0, MIB2);
            assertEquals(0, view.residentBytes(base, MIB2).getAsLong(), "discard drops the huge page");
            assertEquals(free - 1, pool.freePages(), "discard gives the page back to the pool");
            assertEquals(reserved + 1, pool.reservedPages(), "and keeps it reserved for the next touch");
            assertEquals(0, region.segment().get(JAVA_BYTE, 0), "discarded huge pages read zero");
            assertEquals(3, region.segment().get(JAVA_BYTE, MIB2));

            assertEquals(2, region.grow(1));
            assertEquals(2048, kernelPageKilobytes(base + 2 * MIB2, MIB2));
            region.decommit(0, 2 * MIB2);
            assertEquals(List.of(new KernelView.Mapping(base, base + 2 * MIB2, Protection.NONE)),
                    view.mappings(base, 2 * MIB2));
            assertEquals(4, kernelPageKilobytes(base, 2 * MIB2), "decommitted: a plain placeholder again");
            assertEquals(free, pool.freePages(), "decommit returns the pages to the pool");
            assertEquals(reserved + 1, pool.reservedPages(), "only the grown page is still reserved");

            region.recommit(0, MIB2);
            assertEquals(0, region.segment(0, MIB2).get(JAVA_BYTE, MIB2 - 1), "recommitted huge pages read zero");
            assertArrayEquals(new long[] {LinuxAbi.MPOL_BIND, 1}, view.policyOf(base), "recommit binds again");
            region.deallocate();
            assertEquals(free, pool.freePages());
            assertEquals(reserved, pool.reservedPages());
        }
    }

    @Test
    void shouldRefuseExplicitHugePagesClearlyWhenThePoolIsEmpty() {
        Optional<HugePagePool> emptied = HugePagePool.empty(MIB2);
        Assumptions.assumeTrue(emptied.isPresent(), "the 2 MiB pool has free pages and cannot be emptied here");
        try (HugePagePool pool = emptied.get()) {
            PageAllocator allocator = explicit(MIB2, NumaPolicy.none(), false);
            UnsupportedOptionException e = assertThrows(UnsupportedOptionException.class,
                    () -> allocate(allocator, 1, 2), "an option that cannot be honoured, as allocate documents");

            assertEquals("hugePages=explicit(2 MiB)", e.option());
            assertTrue(Pattern.matches("allocate\\(initialPages=1, maximumPages=2\\): hugePages=explicit\\(2 MiB\\)"
                    + " is not available: the pool of 2 MiB pages \\(\\d+ of \\d+ free when probed\\) cannot supply"
                    + " the 1 page needed: mmap\\(0x\\p{XDigit}+, 2097152, PROT_READ\\|PROT_WRITE,"
                    + " MAP_PRIVATE\\|MAP_FIXED\\|MAP_ANONYMOUS\\|MAP_HUGETLB\\|21<<MAP_HUGE_SHIFT, -1, 0\\) -> ENOMEM"
                    + " \\(12\\): Cannot allocate memory", e.getMessage()), e.getMessage());
            assertEquals(0, allocator.statistics().reservedBytes());
            // The refused mmap names an address inside the reservation: nothing may be mapped there now. (A
            // count of all mappings is no proof: the JVM's own threads, heap and code cache map concurrently.)
            Matcher at = Pattern.compile("mmap\\(0x(\\p{XDigit}+),").matcher(e.getMessage());
            assertTrue(at.find(), e.getMessage());
            long refused = Long.parseUnsignedLong(at.group(1), 16);
            assertEquals(List.of(), view.mappings(refused - 2 * MIB2, 4 * MIB2), "the reservation is given back");
            assertEquals(0, pool.freePages());
        }
    }

    @Test
    void shouldDowngradeToTransparentPagesWhenBestEffortMeetsAnEmptyPool() {
        Optional<HugePagePool> emptied = HugePagePool.empty(MIB2);
        Assumptions.assumeTrue(emptied.isPresent(), "the 2 MiB pool has free pages and cannot be emptied here");
        try (HugePagePool pool = emptied.get()) {
            PageAllocator allocator = explicit(MIB2, NumaPolicy.none(), true);
            Region region = allocate(allocator, 1, 2);
            HugePages applied = region.appliedOptions().hugePages();
            assertFalse(applied instanceof HugePages.Explicit, "downgraded, not explicit: " + applied);
            List<String> downgrades = region.appliedOptions().downgrades();
            assertEquals(1, downgrades.size(), downgrades::toString);
            assertTrue(downgrades.getFirst().startsWith("hugePages=explicit(2 MiB) -> " + applied + ": ")
                    && downgrades.getFirst().contains("ENOMEM (12)"), downgrades::toString);
            region.segment().fill((byte) 1);
            assertEquals(4, kernelPageKilobytes(region.address(), region.committedBytes()), "base pages back it");
            assertEquals(0, pool.freePages(), "and the pool is untouched");
        }
    }

    @Test
    void shouldKeepARegionUsableWhenGrowFindsThePoolEmpty() {
        Optional<HugePagePool> grown = HugePagePool.grow(MIB2, 2);
        Assumptions.assumeTrue(grown.isPresent(), "cannot put 2 free 2 MiB pages in the pool (needs root and memory)");
        try (HugePagePool pool = grown.get()) {
            Region region = allocate(explicit(MIB2, NumaPolicy.none(), false), 1, 3);
            region.segment().set(JAVA_BYTE, 0, (byte) 4);
            long next = region.address() + MIB2;
            try (HugePagePool emptied = HugePagePool.empty(MIB2).orElseThrow()) {
                assertEquals(0, emptied.freePages(), "no free page left");
                KernelException e = assertThrows(KernelException.class, () -> region.grow(1));
                assertEquals("ENOMEM", e.errorName());
                assertEquals(List.of(new KernelView.Mapping(next, next + 2 * MIB2, Protection.NONE)),
                        view.mappings(next, 2 * MIB2), "the failed range is reserved again, not a hole");
                assertEquals(1, region.pages());
                assertEquals(4, region.segment().get(JAVA_BYTE, 0), "the committed page is untouched");
            }
            assertEquals(1, region.grow(1), "with the pool refilled, grow works");
            region.segment().set(JAVA_BYTE, MIB2, (byte) 5);
            assertEquals(2048, kernelPageKilobytes(next, MIB2));
            long free = pool.freePages();
            region.deallocate();
            assertEquals(free + 2, pool.freePages(), "both pages back in the pool");
        }
    }

    @Test
    void shouldBackExplicit1GiBPagesWhenAPoolCanBeHad() {
        Optional<HugePagePool> grown = HugePagePool.grow(GIB, 1);
        Assumptions.assumeTrue(grown.isPresent(),
                "the kernel could not put a free 1 GiB page in the pool (needs root and 1 GiB of contiguous memory)");
        try (HugePagePool pool = grown.get()) {
            long free = pool.freePages();
            Region region = allocate(explicit(GIB, NumaPolicy.none(), false), 1, 1);
            assertEquals(0, region.address() % GIB, "1 GiB pages need 1 GiB alignment");
            assertEquals(1048576, kernelPageKilobytes(region.address(), GIB), "KernelPageSize of a 1 GiB page");
            region.segment().set(JAVA_BYTE, GIB - 1, (byte) 1);
            assertEquals(free - 1, pool.freePages());
            region.deallocate();
            assertEquals(free, pool.freePages());
        }
    }
}
