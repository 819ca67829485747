package dev.pagealloc.api;

/**
 * How pagealloc watches for regions that become unreachable without {@link Region#deallocate()}.
 * A leaked region is reported once, after the garbage collector finds it unreachable: a
 * {@link System.Logger} record at {@code WARNING} on the logger {@code dev.pagealloc}, and a
 * {@code dev.pagealloc.RegionLeak} JDK Flight Recorder event.
 *
 * <p>pagealloc never releases a leaked region itself; its reservation and committed pages stay until
 * the process exits. Releasing it would be safe only if nothing could still reach its memory, and
 * that cannot be known: a view holds its arena's session, not the region, so views stay usable after
 * the region object is unreachable, and native or JIT code may hold the region's address. Unmapping
 * under either crashes the JVM. The report is the signal to add the missing {@code deallocate()}.
 *
 * <p>Chosen with {@link PageAllocatorBuilder#withLeakDetection(LeakDetection)} or, when the builder is
 * not told, the system property {@value #PROPERTY} (a constant's name, in any case); the default is
 * {@link #SAMPLED}.
 */
public enum LeakDetection {
    /** No region is watched; a leak goes unreported. */
    DISABLED,
    /**
     * Every region is watched (one {@link java.lang.ref.Cleaner} registration per allocation, tens of
     * nanoseconds); one in {@value #SAMPLING_INTERVAL}, chosen at random, also records the stack trace of
     * its allocation, which the report then shows. The default.
     */
    SAMPLED,
    /**
     * Every region is watched and records the stack trace of its allocation, about 0.5 µs per
     * allocation with a shallow stack (more with a deep one): for tests and for hunting a leak.
     */
    PARANOID;

    /** The system property read when the builder does not choose: {@value}. */
    public static final String PROPERTY = "pagealloc.leakDetection";

    /** With {@link #SAMPLED}, one region in this many records its allocation site: {@value}. */
    public static final int SAMPLING_INTERVAL = 128;
}
