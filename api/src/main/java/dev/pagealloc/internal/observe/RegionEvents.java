package dev.pagealloc.internal.observe;

import dev.pagealloc.api.KernelException;
import dev.pagealloc.api.PageAllocatorException;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.SystemCallError;
import java.util.List;
import jdk.jfr.Event;
import jdk.jfr.FlightRecorder;

/**
 * The JDK Flight Recorder events of region operations: {@code begin…} before an operation starts its
 * work, the matching commit method once it has succeeded. An operation that fails commits nothing; its
 * {@link PageAllocatorException} makes a {@code dev.pagealloc.Refusal} event instead.
 *
 * <p>Cost when no recording asks for an event: {@code jdk.jfr.Event}'s {@code begin()} and
 * {@code commit()} are empty and {@code shouldCommit()} returns false (openjdk/jdk,
 * {@code src/jdk.jfr/share/classes/jdk/jfr/Event.java}) until Flight Recorder instruments a registered
 * class; then {@code shouldCommit()} is false while no recording enables the event (the {@code jdk.jfr}
 * package summary: "Gathering data to store in an event can be expensive. The
 * {@code Event.shouldCommit()} method can be used..."). Once inlined,
 * the event object does not escape, so the JIT removes its allocation; the fields are filled only when
 * {@code shouldCommit()} is true. {@code bench}'s {@code EventCostBenchmark} measures it.
 *
 * <p>Cost at start-up: an event class registered the default way (at its first use) initializes Flight
 * Recorder's metadata, about 115 classes, whether or not a recording runs: 0.4 to 1.4 s on a busy
 * two-core machine, paid by the first {@code allocate()} of every cold JVM. So the events are
 * {@code @Registered(false)}, and each operation registers them here only once Flight Recorder has been
 * initialized (by {@code -XX:StartFlightRecording}, {@code jcmd JFR.start} or the {@code Recording}
 * API), which {@link FlightRecorder#isInitialized()} tells with one static read. An operation that
 * starts in the instant a recording starts may go unrecorded; every later one is recorded.
 *
 * <p>Settings, as a recording without a {@code .jfc} entry for them gets them (JDK events ship theirs in
 * {@code default.jfc}; ours cannot): every event is enabled, so {@code -XX:StartFlightRecording} alone
 * shows a region's life in JDK Mission Control. Stack traces are on only for {@code Allocate} and
 * {@code Refusal}, which say who allocated and who was refused: deallocate and the per-page operations
 * can be as frequent as the host's page operations, and a stack trace made an enabled event cost 1 to
 * 9 µs instead of 0.2 µs on a busy two-core machine ({@code EventCostBenchmark}), more than the
 * {@code mprotect} it would describe. {@code +dev.pagealloc.Protect#stackTrace=true} or
 * {@code +dev.pagealloc.Protect#enabled=false} in {@code -XX:StartFlightRecording} changes them.
 *
 * <p>Thread-safe: each event object belongs to the thread running the operation.
 */
public final class RegionEvents {
    private RegionEvents() {}

    /** Whether the events are registered (or registration failed and will not be tried again). */
    private static volatile boolean registered;

    /** Registers the events once Flight Recorder is initialized; a static read or two until then. */
    private static void register() {
        if (!registered && FlightRecorder.isInitialized()) {
            registerAll();
        }
    }

    private static synchronized void registerAll() {
        if (registered) {
            return;
        }
        registered = true;
        try {
            for (Class<? extends Event> event : List.of(AllocateEvent.class, DeallocateEvent.class, GrowEvent.class,
                    ProtectEvent.class, DecommitEvent.class, RecommitEvent.class, DiscardEvent.class,
                    RefusalEvent.class, LeakEvent.class)) {
                FlightRecorder.register(event);
            }
        } catch (RuntimeException e) {
            // Observing must never fail an operation: without events, pagealloc still works.
            Log.warning(() -> "cannot register pagealloc's Flight Recorder events; they will not be recorded: " + e);
        }
    }

    /** {@return a started allocate event} */
    public static AllocateEvent beginAllocate() {
        register();
        AllocateEvent event = new AllocateEvent();
        event.begin();
        return event;
    }

    /**
     * Commits {@code event} for the newly allocated {@code region}, if a recording wants it.
     *
     * @param event the event {@link #beginAllocate()} started
     * @param platform the provider's name
     * @param region the new region
     */
    public static void allocated(AllocateEvent event, String platform, Region region) {
        if (event.shouldCommit()) {
            event.platform = platform;
            event.address = region.address();
            event.reservedBytes = region.reservedBytes();
            event.committedBytes = region.committedBytes();
            event.pages = region.pages();
            event.maximumPages = region.maximumPages();
            event.pageBytes = region.pageBytes();
            event.commit();
        }
    }

    /** {@return a started deallocate event} */
    public static DeallocateEvent beginDeallocate() {
        register();
        DeallocateEvent event = new DeallocateEvent();
        event.begin();
        return event;
    }

    /**
     * Commits {@code event}, if a recording wants it.
     *
     * @param event the event {@link #beginDeallocate()} started
     * @param platform the provider's name
     * @param address the region's base address
     * @param reservedBytes the whole reservation, in bytes
     * @param committedBytes the bytes that were committed, in bytes
     */
    public static void deallocated(DeallocateEvent event, String platform, long address, long reservedBytes,
            long committedBytes) {
        if (event.shouldCommit()) {
            event.platform = platform;
            event.address = address;
            event.reservedBytes = reservedBytes;
            event.committedBytes = committedBytes;
            event.commit();
        }
    }

    /** {@return a started grow event} */
    public static GrowEvent beginGrow() {
        register();
        GrowEvent event = new GrowEvent();
        event.begin();
        return event;
    }

    /**
     * Commits {@code event} for a grow of {@code region} from {@code previousPages}, if a recording wants it.
     *
     * @param event the event {@link #beginGrow()} started
     * @param platform the provider's name
     * @param region the region, grown
     * @param previousPages its page count before the grow
     */
    public static void grown(GrowEvent event, String platform, Region region, long previousPages) {
        if (event.shouldCommit()) {
            event.platform = platform;
            event.address = region.address();
            event.previousPages = previousPages;
            event.additionalPages = region.pages() - previousPages;
            event.committedBytes = region.committedBytes();
            event.commit();
        }
    }

    /** {@return a started protect event} */
    public static ProtectEvent beginProtect() {
        register();
        ProtectEvent event = new ProtectEvent();
        event.begin();
        return event;
    }

    /** {@return a started decommit event} */
    public static DecommitEvent beginDecommit() {
        register();
        DecommitEvent event = new DecommitEvent();
        event.begin();
        return event;
    }

    /** {@return a started recommit event} */
    public static RecommitEvent beginRecommit() {
        register();
        RecommitEvent event = new RecommitEvent();
        event.begin();
        return event;
    }

    /** {@return a started discard event} */
    public static DiscardEvent beginDiscard() {
        register();
        DiscardEvent event = new DiscardEvent();
        event.begin();
        return event;
    }

    /**
     * Commits a protect event, if a recording wants it.
     *
     * @param event the event {@link #beginProtect()} started
     * @param platform the provider's name
     * @param address the region's base address
     * @param byteOffset the range's offset in the region, in bytes
     * @param byteLength the range's length, in bytes
     * @param protection the new protection
     */
    public static void protectedRange(ProtectEvent event, String platform, long address, long byteOffset,
            long byteLength, Protection protection) {
        if (event.shouldCommit()) {
            event.protection = protection.name();
            commitRange(event, platform, address, byteOffset, byteLength);
        }
    }

    /**
     * Commits a decommit, recommit or discard event, if a recording wants it.
     *
     * @param event the event {@code beginDecommit()}, {@code beginRecommit()} or {@code beginDiscard()} started
     * @param platform the provider's name
     * @param address the region's base address
     * @param byteOffset the range's offset in the region, in bytes
     * @param byteLength the range's length, in bytes
     */
    public static void ranged(RangeEvent event, String platform, long address, long byteOffset, long byteLength) {
        if (event.shouldCommit()) {
            commitRange(event, platform, address, byteOffset, byteLength);
        }
    }

    private static void commitRange(RangeEvent event, String platform, long address, long byteOffset,
            long byteLength) {
        event.platform = platform;
        event.address = address;
        event.byteOffset = byteOffset;
        event.byteLength = byteLength;
        event.commit();
    }

    /**
     * Records that {@code refusal} was made, if a recording wants it. Called as the last statement of
     * each {@link PageAllocatorException} constructor, so every one is recorded once, including those
     * a best-effort downgrade then absorbs (a refused huge page commit before the fallback).
     *
     * @param refusal the exception, fully constructed
     */
    public static void refused(PageAllocatorException refusal) {
        register();
        RefusalEvent event = new RefusalEvent();
        if (event.shouldCommit()) {
            event.operation = refusal.operation();
            event.exceptionClass = refusal.getClass();
            event.message = refusal.getMessage();
            if (refusal instanceof KernelException kernel) {
                SystemCallError error = kernel.systemCallError();
                event.systemCall = error.call();
                event.errorName = error.name();
                event.errorCode = error.code();
            }
            event.commit();
        }
    }

    /**
     * Records a leaked region, if a recording wants it.
     *
     * @param platform the provider's name
     * @param address the region's base address
     * @param reservedBytes its reservation, in bytes
     * @param allocationSite the stack trace of its allocation, or empty
     */
    static void leaked(String platform, long address, long reservedBytes, String allocationSite) {
        register();
        LeakEvent event = new LeakEvent();
        if (event.shouldCommit()) {
            event.platform = platform;
            event.address = address;
            event.reservedBytes = reservedBytes;
            event.allocationSite = allocationSite;
            event.commit();
        }
    }
}
