package dev.pagealloc.reliability;

import dev.pagealloc.api.AllocatorStatistics;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.spi.LiveRegions;
import dev.pagealloc.testkit.ProcMaps;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.JMException;
import javax.management.ObjectName;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit extension that audits the process after every test class:
 *
 * <ol>
 * <li><b>W^X</b>: no mapping in {@code /proc/self/maps} is readable, writable and executable, except
 *     inside HotSpot's own code cache, which HotSpot maps {@code rwx} on Linux x86-64 (its bounds are
 *     read from the {@code Compiler.codecache} diagnostic command, the {@code bounds [low, committed,
 *     reserved]} of each code heap);</li>
 * <li><b>nothing of ours left behind</b>: no live pagealloc reservation ({@link LiveRegions}) once the
 *     class is done, when there was none before it; deallocated regions with shared views wait in the
 *     view quarantine for about a second, and a closed linear memory keeps its reservation until a
 *     {@link java.lang.ref.Cleaner} unmaps it once the memory is unreachable, so the audit asks for
 *     garbage collections and waits up to five seconds;</li>
 * <li><b>statistics at zero</b>: every allocator passed to {@link #track(PageAllocator)} during the class
 *     has no live region and no committed byte.</li>
 * </ol>
 *
 * <p>The reliability module registers it for every test class (JUnit's extension auto-detection, a
 * {@code META-INF/services/org.junit.jupiter.api.extension.Extension} entry); other modules add
 * {@code @ExtendWith(ResourceAudit.class)} or the same two files. Thread-safe.
 */
public final class ResourceAudit implements BeforeAllCallback, AfterAllCallback {
    private static final Pattern BOUNDS = Pattern.compile(
            "bounds \\[0x(\\p{XDigit}+), 0x(\\p{XDigit}+), 0x(\\p{XDigit}+)\\]");
    private static final Map<PageAllocator, Boolean> TRACKED = Collections.synchronizedMap(new WeakHashMap<>());
    private static final long SETTLE_MILLIS = 5000;

    private boolean liveBefore;

    /** Creates the extension; JUnit does. */
    public ResourceAudit() {}

    /**
     * Adds an allocator whose statistics must be back at zero when its test class ends.
     *
     * @param allocator the allocator
     * @return {@code allocator}
     */
    public static PageAllocator track(PageAllocator allocator) {
        TRACKED.put(allocator, Boolean.TRUE);
        return allocator;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        liveBefore = anyLiveRegion().isPresent();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        List<String> problems = audit(!liveBefore);
        if (!problems.isEmpty()) {
            throw new AssertionError("resource audit after " + context.getDisplayName() + ":\n  "
                    + String.join("\n  ", problems));
        }
    }

    /**
     * {@return what is wrong with the process now, empty if nothing}
     *
     * @param expectNoLiveRegion whether a live pagealloc reservation is a problem
     */
    public static List<String> audit(boolean expectNoLiveRegion) {
        return audit(expectNoLiveRegion, SETTLE_MILLIS);
    }

    /**
     * {@return what is wrong with the process now, empty if nothing}
     *
     * @param expectNoLiveRegion whether a live pagealloc reservation is a problem
     * @param settleMillis how long to wait for quarantined regions and statistics to settle, in milliseconds
     */
    public static List<String> audit(boolean expectNoLiveRegion, long settleMillis) {
        List<String> problems = new ArrayList<>();
        long deadline = System.nanoTime() + settleMillis * 1_000_000;
        while (expectNoLiveRegion && anyLiveRegion().isPresent() && System.nanoTime() < deadline) {
            // A closed linear memory's reservation goes when its holder is collected (its Cleaner unmaps).
            System.gc();
            pause();
        }
        if (expectNoLiveRegion) {
            anyLiveRegion().ifPresent(r -> problems.add("a pagealloc reservation is still live: 0x"
                    + Long.toHexString(r.start()) + "-0x" + Long.toHexString(r.end())));
        }
        List<PageAllocator> allocators;
        synchronized (TRACKED) {
            allocators = new ArrayList<>(TRACKED.keySet());
            TRACKED.clear();
        }
        for (PageAllocator allocator : allocators) {
            AllocatorStatistics stats = allocator.statistics();
            while ((stats.liveRegions() != 0 || stats.committedBytes() != 0) && System.nanoTime() < deadline) {
                pause();
                stats = allocator.statistics();
            }
            if (stats.liveRegions() != 0 || stats.committedBytes() != 0) {
                problems.add("an allocator's statistics are not back at zero: " + stats);
            }
        }
        problems.addAll(writableExecutable());
        return problems;
    }

    /** {@return the rwx mappings outside HotSpot's code cache, as lines naming their ranges} */
    public static List<String> writableExecutable() {
        if (!ProcMaps.available()) {
            return List.of();
        }
        List<long[]> codeCache = codeCacheBounds();
        List<String> found = new ArrayList<>();
        for (ProcMaps.Mapping m : ProcMaps.read()) {
            if (!m.permissions().startsWith("rwx")) {
                continue;
            }
            boolean hotspot = codeCache.stream().anyMatch(b -> Long.compareUnsigned(m.start(), b[0]) >= 0
                    && Long.compareUnsigned(m.end(), b[1]) <= 0);
            if (!hotspot) {
                found.add("an rwx mapping outside HotSpot's code cache: 0x" + Long.toHexString(m.start()) + "-0x"
                        + Long.toHexString(m.end()) + " " + m.permissions());
            }
        }
        return found;
    }

    /** {@return each code heap's [low, reserved high) from the Compiler.codecache diagnostic command} */
    private static List<long[]> codeCacheBounds() {
        String report;
        try {
            report = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "compilerCodecache",
                    new Object[] {new String[0]}, new String[] {String[].class.getName()});
        } catch (JMException e) {
            throw new IllegalStateException("ResourceAudit: cannot read the code cache's bounds: " + e, e);
        }
        List<long[]> bounds = new ArrayList<>();
        Matcher matcher = BOUNDS.matcher(report);
        while (matcher.find()) {
            bounds.add(new long[] {Long.parseUnsignedLong(matcher.group(1), 16),
                Long.parseUnsignedLong(matcher.group(3), 16)});
        }
        if (bounds.isEmpty()) {
            throw new IllegalStateException("ResourceAudit: no code heap bounds in Compiler.codecache:\n" + report);
        }
        return bounds;
    }

    private static Optional<LiveRegions.Range> anyLiveRegion() {
        return LiveRegions.overlapping(1, Long.MAX_VALUE - 1);
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
