package dev.pagealloc.linux;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.LeakDetection;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.testkit.KernelView.Mapping;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * A region dropped without {@code deallocate()} is reported, and pagealloc leaves it mapped: the
 * kernel's {@code /proc/self/maps} still shows the whole reservation, guards and committed page
 * included, after the report (see {@link LeakDetection} for why it is not released). The region
 * stays leaked in the test JVM: a few pages of address space.
 */
// Reads the real Linux kernel's view of the process.
@EnabledOnOs(OS.LINUX)
class LinuxLeakTest {

    /** Allocates in a frame of its own, so that nothing on the test's stack keeps the region reachable. */
    private static long[] allocateAndDrop(PageAllocator allocator) {
        Region region = allocator.allocate(1, 4);
        region.segment().set(JAVA_BYTE, 0, (byte) 1);
        return new long[] {region.address(), region.address() - region.guardBeforeBytes(), region.reservedBytes(),
                region.committedBytes()};
    }

    @Test
    void shouldReportALeakedRegionAndLeaveItMapped() throws InterruptedException {
        PageAllocator allocator = PageAllocator.builder().withPlatform("linux").withPageBytes(4096)
                .withLeakDetection(LeakDetection.PARANOID).build();
        BlockingQueue<RecordedEvent> leaks = new LinkedBlockingQueue<>();
        long[] leaked;
        RecordedEvent report = null;
        try (RecordingStream stream = new RecordingStream()) {
            stream.enable("dev.pagealloc.RegionLeak");
            stream.onEvent("dev.pagealloc.RegionLeak", leaks::add);
            stream.startAsync();
            leaked = allocateAndDrop(allocator);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (report == null && System.nanoTime() < deadline) {
                System.gc();
                RecordedEvent event = leaks.poll(100, TimeUnit.MILLISECONDS);
                if (event != null && event.getLong("address") == leaked[0]) {
                    report = event;
                }
            }
        }
        assertTrue(report != null, "no dev.pagealloc.RegionLeak event for the dropped region");
        assertEquals(leaked[2], report.getLong("reservedBytes"));
        assertEquals("linux", report.getString("platform"));
        assertTrue(report.getString("allocationSite").contains("LinuxLeakTest.allocateAndDrop("),
                report.getString("allocationSite"));
        // The kernel still maps every byte of the reservation, as pagealloc left it.
        List<Mapping> mappings = new ProcKernelView().mappings(leaked[1], leaked[2]);
        assertEquals(leaked[2], mappings.stream().mapToLong(Mapping::byteSize).sum(), mappings::toString);
        assertEquals(List.of(Protection.NONE, Protection.READ_WRITE, Protection.NONE),
                mappings.stream().map(Mapping::protection).toList(), mappings::toString);
        assertEquals(leaked[3], mappings.get(1).byteSize(), mappings::toString);
    }
}
