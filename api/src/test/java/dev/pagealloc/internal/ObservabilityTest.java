package dev.pagealloc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.KernelException;
import dev.pagealloc.api.LeakDetection;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PageAllocatorBuilder;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.internal.observe.LeakDetector;
import dev.pagealloc.internal.observe.Log;
import dev.pagealloc.spi.VirtualMemory;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What pagealloc tells about itself, read back the way a user reads it: Flight Recorder events from a
 * dumped recording, leak reports from the {@code dev.pagealloc} logger, and a region the fake kernel
 * still holds after its leak was reported.
 */
class ObservabilityTest {
    private static final long P = 4096;

    /** Strongly held: {@code java.util.logging} keeps loggers only weakly. */
    private final Logger julLogger = Logger.getLogger(Log.NAME);
    private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            logged.add(record);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    @BeforeEach
    void captureLog() {
        julLogger.addHandler(handler);
    }

    @AfterEach
    void releaseLog() {
        julLogger.removeHandler(handler);
    }

    private static PageAllocatorBuilder builder(VirtualMemory memory) {
        return PageAllocator.builder().withPageBytes(P).withProvider(TestProviders.of("fake", memory));
    }

    /**
     * {@return the recording's events named in {@code names}, in time order}: a recording holds every
     * enabled event, and ours are enabled by default, so a region another test leaked may be reported
     * during it
     */
    private static List<RecordedEvent> read(Recording recording, Path folder, List<String> names) throws IOException {
        Path file = folder.resolve("pagealloc.jfr");
        recording.dump(file);
        return RecordingFile.readAllEvents(file).stream()
                .filter(e -> names.contains(e.getEventType().getName()))
                .sorted(Comparator.comparing(RecordedEvent::getStartTime))
                .toList();
    }

    @Test
    void shouldRecordEveryRegionOperationWithItsAddressSizesPlatformAndDuration(@TempDir Path folder)
            throws IOException {
        FakeVirtualMemory fake = new FakeVirtualMemory();
        PageAllocator allocator = builder(fake).withLeakDetection(LeakDetection.DISABLED).build();
        List<RecordedEvent> events;
        long address;
        long reservedBytes;
        List<String> names = Stream.of("Allocate", "Grow", "Protect", "Decommit", "Recommit", "Discard", "Deallocate",
                "Refusal").map(n -> "dev.pagealloc." + n).toList();
        try (Recording recording = new Recording()) {
            names.forEach(recording::enable);
            recording.start();
            Region region = allocator.allocate(2, 16);
            address = region.address();
            reservedBytes = region.reservedBytes();
            region.grow(3);
            region.protect(P, 2 * P, Protection.READ);
            region.protect(P, 2 * P, Protection.READ_WRITE);
            region.decommit(0, P);
            region.recommit(0, P);
            region.discard(4 * P, P);
            fake.failNext("commit");
            KernelException refused = assertThrows(KernelException.class, () -> region.grow(1));
            region.deallocate();
            recording.stop();
            events = read(recording, folder, names);
            assertEquals(refused.getMessage(), only(events, "dev.pagealloc.Refusal").getString("message"));
        }
        assertEquals(List.of("Allocate", "Grow", "Protect", "Protect", "Decommit", "Recommit", "Discard", "Refusal",
                "Deallocate"), events.stream().map(e -> e.getEventType().getName().substring("dev.pagealloc.".length()))
                .toList());
        for (RecordedEvent event : events) {
            assertFalse(event.getDuration().isNegative(), event::toString);
            // Stack traces by default only where they say who: the allocation and the refused call.
            boolean withStack = List.of("dev.pagealloc.Allocate", "dev.pagealloc.Refusal")
                    .contains(event.getEventType().getName());
            assertEquals(withStack, event.getStackTrace() != null, event::toString);
            if (!event.getEventType().getName().equals("dev.pagealloc.Refusal")) {
                assertEquals("fake", event.getString("platform"), event::toString);
                assertEquals(address, event.getLong("address"), event::toString);
            }
        }
        RecordedEvent allocate = only(events, "dev.pagealloc.Allocate");
        assertEquals(reservedBytes, allocate.getLong("reservedBytes"));
        assertEquals(2 * P, allocate.getLong("committedBytes"));
        assertEquals(2, allocate.getLong("pages"));
        assertEquals(16, allocate.getLong("maximumPages"));
        assertEquals(P, allocate.getLong("pageBytes"));
        assertEquals("Region Allocate", allocate.getEventType().getLabel());
        assertEquals(List.of("pagealloc", "Region Operations"), allocate.getEventType().getCategoryNames());
        RecordedEvent grow = only(events, "dev.pagealloc.Grow");
        assertEquals(2, grow.getLong("previousPages"));
        assertEquals(3, grow.getLong("additionalPages"));
        assertEquals(5 * P, grow.getLong("committedBytes"));
        RecordedEvent protect = events.stream().filter(e -> e.getEventType().getName().equals("dev.pagealloc.Protect"))
                .findFirst().orElseThrow();
        assertEquals(P, protect.getLong("byteOffset"));
        assertEquals(2 * P, protect.getLong("byteLength"));
        assertEquals("READ", protect.getString("protection"));
        for (String range : List.of("Decommit", "Recommit")) {
            RecordedEvent event = only(events, "dev.pagealloc." + range);
            assertEquals(0, event.getLong("byteOffset"), range);
            assertEquals(P, event.getLong("byteLength"), range);
        }
        assertEquals(4 * P, only(events, "dev.pagealloc.Discard").getLong("byteOffset"));
        RecordedEvent refusal = only(events, "dev.pagealloc.Refusal");
        assertEquals("grow(additionalPages=1)", refusal.getString("operation"));
        assertEquals("ENOMEM", refusal.getString("errorName"));
        assertEquals(12, refusal.getInt("errorCode"));
        assertEquals("commit(...)", refusal.getString("systemCall"));
        assertEquals(KernelException.class.getName(), refusal.getClass("exceptionClass").getName());
        RecordedEvent deallocate = only(events, "dev.pagealloc.Deallocate");
        assertEquals(reservedBytes, deallocate.getLong("reservedBytes"));
        assertEquals(5 * P, deallocate.getLong("committedBytes"));
    }

    private static RecordedEvent only(List<RecordedEvent> events, String name) {
        List<RecordedEvent> named = events.stream().filter(e -> e.getEventType().getName().equals(name)).toList();
        assertEquals(1, named.size(), () -> name + " in " + events);
        return named.getFirst();
    }

    /** Allocates a region in a frame of its own, so that nothing on the test's stack keeps it reachable. */
    private static long[] allocateAndDrop(PageAllocator allocator) {
        Region region = allocator.allocate(1, 4);
        region.segment().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 1);
        return new long[] {region.address(), region.reservedBytes()};
    }

    private List<String> messages() {
        return logged.stream().map(LogRecord::getMessage).toList();
    }

    private List<String> reportsOf(long address, Duration timeout) throws InterruptedException {
        String hex = "0x" + Long.toHexString(address);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) { // at least once, also with a zero timeout
            System.gc();
            List<String> found = logged.stream().map(LogRecord::getMessage).filter(m -> m.contains(hex + " ")).toList();
            if (!found.isEmpty() || System.nanoTime() >= deadline) {
                return found;
            }
            Thread.sleep(20);
        }
    }

    @Test
    void shouldReportALeakedRegionWithItsAllocationSiteAndLeaveItReserved(@TempDir Path folder) throws Exception {
        FakeVirtualMemory fake = new FakeVirtualMemory();
        PageAllocator allocator = builder(fake).withLeakDetection(LeakDetection.PARANOID).build();
        long[] deallocated;
        long[] leaked;
        List<String> reports;
        List<RecordedEvent> events;
        try (Recording recording = new Recording()) {
            recording.enable("dev.pagealloc.RegionLeak");
            recording.start();
            Region kept = allocator.allocate(1, 4);
            deallocated = new long[] {kept.address()};
            // Both live at once, so their addresses differ (the fake's memory is reused once freed).
            leaked = allocateAndDrop(allocator);
            kept.deallocate();
            kept = null;
            reports = reportsOf(leaked[0], Duration.ofSeconds(60));
            recording.stop();
            events = read(recording, folder, List.of("dev.pagealloc.RegionLeak"));
        }
        assertEquals(1, reports.size(), () -> "reports: " + reports + ", log: " + messages());
        String report = reports.getFirst();
        assertTrue(report.startsWith("the region at 0x" + Long.toHexString(leaked[0]) + " (reservedBytes=" + leaked[1]
                + ", platform=fake) became unreachable without deallocate(); pagealloc does not release it"), report);
        assertTrue(report.contains("ObservabilityTest.allocateAndDrop("), report);
        assertEquals(Level.WARNING, logged.stream().filter(r -> r.getMessage().equals(report)).findFirst()
                .orElseThrow().getLevel());
        // The deallocated region, dropped too, is never reported: its watch ended with it.
        assertTrue(reportsOf(deallocated[0], Duration.ZERO).isEmpty(), () -> "log: " + messages());
        // Never released: the fake still holds the leaked reservation (and only it), and so does the bookkeeping.
        assertEquals(1, fake.liveReservations());
        assertEquals(List.of("release(" + leaked[1] + ")"), fake.calls().stream().filter(c -> c.startsWith("release"))
                .toList(), "only the deallocated region was released");
        assertTrue(LiveReservations.overlapping(leaked[0], 1).isPresent());
        assertEquals(1, allocator.statistics().liveRegions());
        RecordedEvent leak = events.stream().filter(e -> e.getLong("address") == leaked[0]).findFirst()
                .orElseThrow(() -> new AssertionError("no RegionLeak event: " + events));
        assertEquals(leaked[1], leak.getLong("reservedBytes"));
        assertEquals("fake", leak.getString("platform"));
        assertTrue(leak.getString("allocationSite").contains("ObservabilityTest.allocateAndDrop("),
                leak.getString("allocationSite"));
    }

    @Test
    void shouldWarnWhenPagesOfAFailedPopulateCannotBeGivenBack() {
        FakeVirtualMemory fake = new FakeVirtualMemory();
        PageAllocator allocator = builder(fake).withPopulate(true).withLeakDetection(LeakDetection.DISABLED).build();
        try (Region region = allocator.allocate(1, 8)) {
            fake.failNext("populate").failNext("decommit");
            KernelException refused = assertThrows(KernelException.class, () -> region.grow(1));
            String expected = "grow(additionalPages=1): after a failed populate or lock, 4096 bytes at 0x"
                    + Long.toHexString(region.address() + P) + " could not be decommitted and stay committed,"
                    + " unreachable from Java, until the region is deallocated: decommit(...) -> ENOMEM (12):"
                    + " Cannot allocate memory";
            List<LogRecord> warnings = logged.stream().filter(r -> r.getMessage().startsWith("grow(")).toList();
            assertEquals(1, warnings.size(), () -> "log: " + messages() + ", refusal: " + refused);
            assertEquals(expected, warnings.getFirst().getMessage());
            assertEquals(Level.WARNING, warnings.getFirst().getLevel());
        }
    }

    @Test
    void shouldTakeTheLevelFromTheBuilderThenThePropertyThenSampled() {
        String saved = System.getProperty(LeakDetection.PROPERTY);
        try {
            System.clearProperty(LeakDetection.PROPERTY);
            assertEquals(LeakDetection.SAMPLED, LeakDetector.level(Optional.empty()));
            System.setProperty(LeakDetection.PROPERTY, "Paranoid");
            assertEquals(LeakDetection.PARANOID, LeakDetector.level(Optional.empty()));
            assertEquals(LeakDetection.DISABLED, LeakDetector.level(Optional.of(LeakDetection.DISABLED)));
            assertEquals(LeakDetection.PARANOID, builder(new FakeVirtualMemory()).build().config().leakDetection());
            System.setProperty(LeakDetection.PROPERTY, "sometimes");
            assertEquals("build(): system property pagealloc.leakDetection=sometimes names no leak detection level;"
                    + " expected one of [disabled, sampled, paranoid]", assertThrows(IllegalArgumentException.class,
                            () -> builder(new FakeVirtualMemory()).build()).getMessage());
        } finally {
            if (saved == null) {
                System.clearProperty(LeakDetection.PROPERTY);
            } else {
                System.setProperty(LeakDetection.PROPERTY, saved);
            }
        }
    }
}
