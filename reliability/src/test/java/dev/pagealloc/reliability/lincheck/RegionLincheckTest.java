package dev.pagealloc.reliability.lincheck;

import dev.pagealloc.api.AllocatorStatistics;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.ViewSharing;
import dev.pagealloc.testkit.ResourceAudit;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;

/**
 * Lincheck on one region shared by three threads: grow, tryGrow, protect, decommit, recommit, discard,
 * reads and writes through views, the allocator's committed bytes, and deallocate, checked for
 * linearizability against {@link RegionSpecification}, a plain sequential model. Every outcome,
 * refusals included, is an operation's result, so a refusal that no sequential order explains fails
 * the test as a wrong value would.
 *
 * <p>Views are {@link ViewSharing#SHARED}: a view taken before another thread narrows the page's
 * protection throws {@link IllegalStateException} once that change has closed it (the documented
 * contract), so reads and writes take a fresh view and try again; their effect is then atomic. A view
 * taken before another thread deallocates the region reads zero and loses its writes until its batch
 * closes (also documented): not linearizable by design, so {@link #increment(int)} reports an increment
 * that raced a deallocate as refused, which is what its (lost) effect amounts to. Lincheck found that
 * window within seconds when the operation did not.
 */
@Param(name = "page", gen = IntGen.class, conf = "0:3")
public class RegionLincheckTest {
    static final long PAGE = 4096;
    static final long INITIAL = 4;
    static final long MAXIMUM = 6;
    private static final Queue<Region> MADE = new ConcurrentLinkedQueue<>();

    private final PageAllocator allocator = ResourceAudit.track(PageAllocator.builder().withPageBytes(PAGE)
            .withViewSharing(ViewSharing.SHARED).build());
    private final Region region = allocator.allocate(INITIAL, MAXIMUM);

    /** A fresh region for each invocation, freed by {@link #release()}. */
    public RegionLincheckTest() {
        MADE.add(region);
    }

    /** {@return grow(1)'s old size, or the refusal} */
    @Operation
    public String grow() {
        return outcome(() -> Long.toString(region.grow(1)));
    }

    /** {@return tryGrow(1)'s old size, or -1, or the refusal} */
    @Operation
    public String tryGrow() {
        return outcome(() -> Long.toString(region.tryGrow(1)));
    }

    /**
     * {@return the outcome of making {@code page} read-only}
     *
     * @param page one of the initial pages
     */
    @Operation
    public String protectRead(@Param(name = "page") int page) {
        return outcome(() -> run(() -> region.protect(page * PAGE, PAGE, Protection.READ)));
    }

    /**
     * {@return the outcome of making {@code page} writable}
     *
     * @param page one of the initial pages
     */
    @Operation
    public String protectReadWrite(@Param(name = "page") int page) {
        return outcome(() -> run(() -> region.protect(page * PAGE, PAGE, Protection.READ_WRITE)));
    }

    /**
     * {@return the outcome of decommitting {@code page}}
     *
     * @param page one of the initial pages
     */
    @Operation
    public String decommit(@Param(name = "page") int page) {
        return outcome(() -> run(() -> region.decommit(page * PAGE, PAGE)));
    }

    /**
     * {@return the outcome of recommitting {@code page}}
     *
     * @param page one of the initial pages
     */
    @Operation
    public String recommit(@Param(name = "page") int page) {
        return outcome(() -> run(() -> region.recommit(page * PAGE, PAGE)));
    }

    /**
     * {@return the outcome of discarding {@code page}}
     *
     * @param page one of the initial pages
     */
    @Operation
    public String discard(@Param(name = "page") int page) {
        return outcome(() -> run(() -> region.discard(page * PAGE, PAGE)));
    }

    /**
     * {@return the first byte of {@code page} after adding one to it, or the refusal}
     *
     * @param page one of the initial pages
     */
    @Operation
    public String increment(@Param(name = "page") int page) {
        return outcome(() -> {
            while (true) {
                MemorySegment view = region.segment(page * PAGE, 1);
                try {
                    if (view.isReadOnly()) {
                        return "read-only " + view.get(ValueLayout.JAVA_BYTE, 0);
                    }
                    // One thread's increment is a read then a write: serialize them on the region, which
                    // makes the pair atomic against other increments, not against protect or discard.
                    synchronized (region) {
                        byte b = view.get(ValueLayout.JAVA_BYTE, 0);
                        view.set(ValueLayout.JAVA_BYTE, 0, (byte) (b + 1));
                        // A shared view taken before a deallocate on another thread reads zero and its
                        // writes are lost until its batch closes (README, "What a stale view does"): such
                        // an increment had no effect, as if it came after the deallocate.
                        return region.isAlive() ? "wrote " + (byte) (b + 1) : "IllegalStateException";
                    }
                } catch (IllegalStateException closedMeanwhile) {
                    // A protect or decommit on another thread closed the view: take a new one.
                }
            }
        });
    }

    /** {@return the allocator's committed bytes} */
    @Operation
    public long committedBytes() {
        AllocatorStatistics stats = allocator.statistics();
        return stats.committedBytes();
    }

    /** {@return the outcome of deallocating the region} */
    @Operation
    public String deallocate() {
        return outcome(() -> run(region::deallocate));
    }

    /** Frees the region at the end of each invocation, so that invocations do not pile up mappings. */
    @Validate
    public void release() {
        region.deallocate();
        MADE.remove(region);
    }

    @Test
    void shouldBeLinearizable() {
        new StressOptions().sequentialSpecification(RegionSpecification.class)
                .iterations(Integer.getInteger("reliability.lincheck.iterations", 10))
                .invocationsPerIteration(100).threads(3).actorsPerThread(3).actorsBefore(2).actorsAfter(2)
                .check(RegionLincheckTest.class);
        // Regions of invocations that failed before their validation.
        MADE.forEach(Region::deallocate);
    }

    interface Call {
        String get();
    }

    static String run(Runnable action) {
        action.run();
        return "ok";
    }

    /** {@return the call's result, or the refusal's class: the exception is part of the result} */
    static String outcome(Call call) {
        try {
            return call.get();
        } catch (RuntimeException e) {
            return e.getClass().getSimpleName();
        }
    }
}
