package dev.pagealloc.testkit;

import dev.pagealloc.api.AllocatorStatistics;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.spi.LiveRegions;
import java.lang.management.ManagementFactory;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 *     class is done that was not live before it (so a class that leaks does not hide the next one's
 *     leak); deallocated regions with shared views wait in the
 *     view quarantine for about a second, and a closed linear memory keeps its reservation until a
 *     {@link java.lang.ref.Cleaner} unmaps it once the memory is unreachable, so the audit asks for
 *     garbage collections and waits up to five seconds;</li>
 * <li><b>statistics at zero</b>: every allocator passed to {@link #track(PageAllocator)} during the class
 *     has no live region and no committed byte.</li>
 * </ol>
 *
 * <p>It lives in the test kit so that every module's tests can use it. The modules {@code reliability},
 * {@code linear-memory}, {@code chicory}, {@code jit}, {@code heap} and {@code tagging} register it for every
 * test class through JUnit's extension auto-detection: a test resource
 * {@code META-INF/services/org.junit.jupiter.api.extension.Extension} naming this class and a
 * {@code junit-platform.properties} with {@code junit.jupiter.extensions.autodetection.enabled=true}, so a
 * test class added later is audited too. A single class can instead add
 * {@code @ExtendWith(ResourceAudit.class)}. The audit assumes test classes run one at a time in a JVM (the
 * build's default). Thread-safe.
 */
public final class ResourceAudit implements BeforeAllCallback, AfterAllCallback {
    private static final Pattern BOUNDS = Pattern.compile(
            "bounds \\[0x(\\p{XDigit}+), 0x(\\p{XDigit}+), 0x(\\p{XDigit}+)\\]");
    private static final Map<PageAllocator, Boolean> TRACKED = Collections.synchronizedMap(new WeakHashMap<>());
    private static final long SETTLE_MILLIS = 5000;

    private Set<LiveRegions.Range> liveBefore = Set.of();

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
        liveBefore = liveReservations();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        List<String> problems = audit(liveBefore, SETTLE_MILLIS);
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
        return expectNoLiveRegion ? audit(Set.of(), settleMillis) : audit(null, settleMillis);
    }

    /**
     * {@return what is wrong with the process now, empty if nothing}
     *
     * @param allowed the reservations that may still be live (those live before the audited code ran), or
     *     null if any may
     * @param settleMillis how long to wait for quarantined regions and statistics to settle, in milliseconds
     */
    private static List<String> audit(Set<LiveRegions.Range> allowed, long settleMillis) {
        List<String> problems = new ArrayList<>();
        long deadline = System.nanoTime() + settleMillis * 1_000_000;
        Set<LiveRegions.Range> left = allowed == null ? Set.of() : leftBehind(allowed);
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            // A closed linear memory's reservation goes when its holder is collected (its Cleaner unmaps).
            System.gc();
            pause();
            left = leftBehind(allowed);
        }
        for (LiveRegions.Range r : left) {
            problems.add("a pagealloc reservation is still live: 0x" + Long.toHexString(r.start()) + "-0x"
                    + Long.toHexString(r.end()));
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

    private static Set<LiveRegions.Range> leftBehind(Set<LiveRegions.Range> allowed) {
        Set<LiveRegions.Range> live = liveReservations();
        live.removeAll(allowed);
        return live;
    }

    /**
     * {@return every live pagealloc reservation} {@link LiveRegions} answers one overlapping range per
     * query, so the user half of the address space is split around each answer until no gap holds one.
     */
    private static Set<LiveRegions.Range> liveReservations() {
        Set<LiveRegions.Range> found = new HashSet<>();
        Deque<long[]> gaps = new ArrayDeque<>();
        gaps.push(new long[] {1, Long.MAX_VALUE});
        while (!gaps.isEmpty()) {
            long[] gap = gaps.pop();
            LiveRegions.overlapping(gap[0], gap[1] - gap[0]).ifPresent(r -> {
                found.add(r);
                if (Long.compareUnsigned(r.start(), gap[0]) > 0) {
                    gaps.push(new long[] {gap[0], r.start()});
                }
                if (Long.compareUnsigned(r.end(), gap[1]) < 0) {
                    gaps.push(new long[] {r.end(), gap[1]});
                }
            });
        }
        return found;
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
