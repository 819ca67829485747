package dev.pagealloc.linux;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.Capabilities.TransparentHugePageMode;
import dev.pagealloc.api.HugePages;
import dev.pagealloc.api.NumaPolicy;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PageAllocatorBuilder;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.testkit.AccountingContract;
import dev.pagealloc.testkit.BadInputContract;
import dev.pagealloc.testkit.ChildJvm;
import dev.pagealloc.testkit.ConcurrencyContract;
import dev.pagealloc.testkit.KernelView;
import dev.pagealloc.testkit.OptionsContract;
import dev.pagealloc.testkit.RandomOperationsContract;
import dev.pagealloc.testkit.RegionLifecycleContract;
import dev.pagealloc.testkit.ViewContract;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The conformance suite on the real Linux kernel, plus what only Linux has: transparent huge
 * pages, NUMA policies, populate and mlock, each checked in {@code /proc/self}, {@code mincore}
 * and {@code get_mempolicy}. Explicit huge pages are in {@code LinuxHugeTlbTest}, guard faults in
 * {@code LinuxGuardFaultTest}, injected failures in {@code LinuxVirtualMemoryTest}.
 */
// Binds and calls the real Linux kernel (or reads its /proc); other OSes run their own backends.
@EnabledOnOs(OS.LINUX)
class LinuxPageAllocatorTest implements RegionLifecycleContract, ViewContract, AccountingContract,
        BadInputContract, ConcurrencyContract, OptionsContract, RandomOperationsContract {
    private static final long MIB = 1 << 20;
    private final ProcKernelView view = new ProcKernelView();

    @Override
    public PageAllocatorBuilder builder() {
        return PageAllocator.builder().withPlatform("linux");
    }

    @Override
    public KernelView kernelView() {
        return view;
    }

    @Test
    void shouldBackTransparentHugePageRegionsWithHugePages() {
        PageAllocator allocator = allocator(b -> b.withHugePages(HugePages.transparent()).withPopulate(true));
        TransparentHugePageMode mode = allocator.capabilities().transparentHugePages();
        Assumptions.assumeTrue(mode == TransparentHugePageMode.MADVISE || mode == TransparentHugePageMode.ALWAYS,
                "transparent huge pages are " + mode);
        // 8 MiB committed holds at least three 2 MiB-aligned blocks whatever the guard before.
        Region region = allocate(allocator, 8 * MIB / allocator.pageBytes(), 8 * MIB / allocator.pageBytes());
        List<ProcKernelView.Smaps> smaps = view.smaps(region.address(), region.byteSize());
        assertTrue(smaps.stream().allMatch(s -> s.vmFlags().contains("hg")), () -> "MADV_HUGEPAGE (hg) on " + smaps);
        long hugeKilobytes = smaps.stream().mapToLong(s -> s.kilobytes("AnonHugePages")).sum();
        assertTrue(hugeKilobytes >= 2048, () -> "AnonHugePages " + hugeKilobytes + " kB over " + smaps);
        assertEquals(Protection.READ_WRITE, region.protectionAt(0));
    }

    @Test
    void shouldMarkNoHugePageRegionsNoHugepage() {
        Region region = allocate(allocator(b -> b.withHugePages(HugePages.none()).withPopulate(true)), 32, 32);
        List<ProcKernelView.Smaps> smaps = view.smaps(region.address(), region.byteSize());
        assertTrue(!smaps.isEmpty() && smaps.stream().allMatch(s -> s.vmFlags().contains("nh")),
                () -> "MADV_NOHUGEPAGE (nh) on " + smaps);
        assertEquals(0, smaps.stream().mapToLong(s -> s.kilobytes("AnonHugePages")).sum());
    }

    @Test
    void shouldPlacePagesByTheNumaPolicy() {
        Capabilities capabilities = allocator(b -> b).capabilities();
        Assumptions.assumeTrue(capabilities.numaNode(0).isPresent(), "no NUMA node 0: " + capabilities.numaNodes());
        record Case(NumaPolicy policy, int mode) {}
        for (Case c : List.of(new Case(NumaPolicy.bind(0), LinuxAbi.MPOL_BIND),
                new Case(NumaPolicy.preferred(0), LinuxAbi.MPOL_PREFERRED),
                new Case(NumaPolicy.interleave(0), LinuxAbi.MPOL_INTERLEAVE))) {
            Region region = allocate(allocator(b -> b.withNumaPolicy(c.policy()).withPopulate(true)), 4, 8);
            assertEquals(c.policy(), region.appliedOptions().numaPolicy());
            for (long offset = 0; offset < region.byteSize(); offset += capabilities.pageBytes()) {
                long address = region.address() + offset;
                assertArrayEquals(new long[] {c.mode(), 1}, view.policyOf(address), c.policy() + ": mode and mask at +"
                        + offset);
                assertEquals(0, view.numaNodeOf(address).orElseThrow(), c.policy() + ": node of the page at +"
                        + offset);
            }
            region.grow(4);
            region.segment().fill((byte) 1);
            long last = region.address() + region.byteSize() - capabilities.pageBytes();
            assertArrayEquals(new long[] {c.mode(), 1}, view.policyOf(last), c.policy()
                    + ": grown pages keep the policy");
            assertEquals(0, view.numaNodeOf(last).orElseThrow());
            region.deallocate();
        }
    }

    @Test
    void shouldRefuseANumaNodeThatDoesNotExistNamingTheNodes() {
        Capabilities capabilities = allocator(b -> b).capabilities();
        Assumptions.assumeFalse(capabilities.numaNodes().isEmpty(), "no NUMA nodes");
        int missing = capabilities.numaNodes().getLast().id() + 1;
        List<Integer> nodes = capabilities.numaNodes().stream().map(Capabilities.NumaNode::id).toList();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> builder().withNumaPolicy(NumaPolicy.bind(missing)).build());
        assertEquals("build(numaPolicy=Bind[nodes=[" + missing + "]]): NUMA node " + missing
                + " does not exist; nodes: "
                + nodes, e.getMessage());
        Region region = allocate(allocator(b -> b), 1, 1);
        region.segment().set(JAVA_BYTE, 0, (byte) 1);
        assertEquals(1, region.segment().get(JAVA_BYTE, 0), "the library stays usable");
    }

    @Test
    void shouldMakeEveryPageResidentWhenPopulating() {
        Region region = allocate(allocator(b -> b.withPopulate(true)), 4, 16);
        assertEquals(region.committedBytes(), view.residentBytes(region.address(), region.committedBytes()).getAsLong(),
                "resident right after allocate, before any access");
        region.grow(4);
        assertEquals(region.committedBytes(), view.residentBytes(region.address(), region.committedBytes()).getAsLong(),
                "resident right after grow");
        long tail = region.reservedBytes() - region.guardBeforeBytes() - region.committedBytes()
                - region.guardAfterBytes();
        assertEquals(0, view.residentBytes(region.address() + region.committedBytes(), tail).getAsLong(),
                "nothing resident in the reserved tail");
    }

    @Test
    void shouldLockPagesAndUnlockThemOnDecommitAndDeallocate() {
        long before = view.lockedBytes().orElseThrow();
        Region region = allocate(allocator(b -> b.withLock(true)), 4, 8);
        long half = region.committedBytes() / 2;
        assertEquals(before + region.committedBytes(), view.lockedBytes().orElseThrow(), "VmLck after allocate");
        assertEquals(region.committedBytes(),
                view.residentBytes(region.address(), region.committedBytes()).getAsLong());
        region.segment().fill((byte) 7);
        region.discard(0, half);
        assertEquals(0, region.segment().get(JAVA_BYTE, 0), "discarded locked pages read zero");
        assertEquals(7, region.segment().get(JAVA_BYTE, half));
        region.decommit(0, half);
        assertEquals(0, view.residentBytes(region.address(), half).getAsLong(),
                "decommitted locked pages leave memory");
        assertEquals(before + half, view.lockedBytes().orElseThrow(), "VmLck after decommitting half");
        region.recommit(0, half);
        assertEquals(before + region.committedBytes(), view.lockedBytes().orElseThrow(), "VmLck after recommit");
        region.deallocate();
        assertEquals(before, view.lockedBytes().orElseThrow(), "VmLck after deallocate");
    }

    @Test
    void shouldNeverMapWritableAndExecuteAfterAnyOperation() {
        Region region = allocate(allocator(b -> b.withPopulate(true)), 4, 8);
        long page = region.protectionGranuleBytes();
        List<Runnable> steps = List.of(
                () -> region.grow(2),
                () -> region.protect(0, page, Protection.READ_EXECUTE),
                () -> region.protect(0, page, Protection.READ_WRITE),
                () -> region.protect(page, page, Protection.READ),
                () -> region.protect(page, page, Protection.READ_EXECUTE),
                () -> region.discard(0, 2 * page),
                () -> region.decommit(2 * page, page),
                () -> region.recommit(2 * page, page),
                region::deallocate);
        for (int i = 0; i < steps.size(); i++) {
            steps.get(i).run();
            assertWritableExecutableFree();
            if (region.isAlive()) {
                List<KernelView.Mapping> mappings = view.mappings(reservationStart(region), region.reservedBytes());
                assertEquals(region.reservedBytes(), mappings.stream().mapToLong(KernelView.Mapping::byteSize).sum(),
                        "step " + i + ": no rwx hole in " + mappings);
            }
        }
    }

    @Test
    void shouldSeeTheSameMappingsThroughProcmapQueryAsInTheMapsText() {
        Assumptions.assumeTrue(ProcMapQuery.instance().isPresent(), "the kernel has no PROCMAP_QUERY (Linux 6.11)");
        long page = allocator(b -> b).capabilities().pageBytes();
        Region region = allocate(allocator(b -> b.withPageBytes(page)), 4, 8);
        region.protect(page, page, Protection.READ);
        region.protect(2 * page, page, Protection.READ_EXECUTE);
        region.decommit(3 * page, page);
        long start = reservationStart(region);
        List<KernelView.Mapping> fromQuery = view.mappings(start - page, region.reservedBytes() + 2 * page);
        assertEquals(view.mappingsFromText(start - page, region.reservedBytes() + 2 * page), fromQuery);
        assertEquals(List.of(Protection.NONE, Protection.READ_WRITE, Protection.READ, Protection.READ_EXECUTE,
                Protection.NONE), view.mappings(start, region.reservedBytes()).stream()
                        .map(KernelView.Mapping::protection).toList());
    }

    @Test
    void shouldReturnToTheBaselineAfter100000AllocateDeallocateCycles() {
        // A child JVM with a fixed, pre-touched heap: the Java heap's growth would hide a leak here.
        ChildJvm.Result result = ChildJvm.of(CycleChild.class).jvmOption("-Xms64m").jvmOption("-Xmx64m")
                .jvmOption("-XX:+AlwaysPreTouch").run("100000");
        assertEquals(0, result.exitCode(), result::describe);
        Matcher m = Pattern.compile("mappings=(\\d+),(\\d+) rss=(\\d+),(\\d+) millis=(\\d+) live=0 committed=0")
                .matcher(result.stdout());
        assertTrue(m.find(), result::describe);
        long mappingsBefore = Long.parseLong(m.group(1));
        long mappingsAfter = Long.parseLong(m.group(2));
        long rssBefore = Long.parseLong(m.group(3));
        long rssAfter = Long.parseLong(m.group(4));
        System.out.println("100000 allocate(1 page)+write+deallocate cycles: " + m.group(5) + " ms; mappings "
                + mappingsBefore + " -> " + mappingsAfter + "; RSS " + rssBefore / 1024 + " -> " + rssAfter / 1024
                + " KiB");
        assertTrue(mappingsAfter <= mappingsBefore + mappingCountSlack(),
                () -> "mappings grew from " + mappingsBefore + " to " + mappingsAfter);
        // One leaked page per cycle would be 390 MiB; the code cache and metaspace move by a few MiB.
        assertTrue(rssAfter - rssBefore < 16 * MIB, () -> "RSS grew from " + rssBefore + " to " + rssAfter + " bytes");
    }
}
