package dev.pagealloc.internal.observe;

import dev.pagealloc.api.KernelException;
import dev.pagealloc.api.PageAllocatorException;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.SystemCallError;

/**
 * The JDK Flight Recorder events of region operations: {@code begin…} before an operation starts its
 * work, the matching commit method once it has succeeded. An operation that fails commits nothing; its
 * {@link PageAllocatorException} makes a {@code dev.pagealloc.Refusal} event instead.
 *
 * <p>Cost when no recording asks for an event: JFR leaves an event class's {@code begin()},
 * {@code shouldCommit()} and {@code commit()} empty (returning false) until a recording enables it, and
 * instruments the class only then (the {@code jdk.jfr.Event} class comment: "Gathering data to store in
 * an event can be expensive. The {@code Event.shouldCommit()} method can be used..."; JEP 328,
 * "Performance": disabled events have no measurable cost). Once inlined, the event object does not
 * escape, so the JIT removes its allocation; the fields are filled only when {@code shouldCommit()}
 * is true. {@code bench}'s {@code EventCostBenchmark} measures it.
 *
 * <p>Thread-safe: each event object belongs to the thread running the operation.
 */
public final class RegionEvents {
    private RegionEvents() {}

    /** {@return a started allocate event} */
    public static AllocateEvent beginAllocate() {
        AllocateEvent event = new AllocateEvent();
        event.begin();
        return event;
    }

    /** Commits {@code event} for the newly allocated {@code region}, if a recording wants it. */
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
        DeallocateEvent event = new DeallocateEvent();
        event.begin();
        return event;
    }

    /**
     * Commits {@code event}, if a recording wants it.
     *
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
        GrowEvent event = new GrowEvent();
        event.begin();
        return event;
    }

    /** Commits {@code event} for a grow of {@code region} from {@code previousPages}, if a recording wants it. */
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
        ProtectEvent event = new ProtectEvent();
        event.begin();
        return event;
    }

    /** {@return a started decommit event} */
    public static DecommitEvent beginDecommit() {
        DecommitEvent event = new DecommitEvent();
        event.begin();
        return event;
    }

    /** {@return a started recommit event} */
    public static RecommitEvent beginRecommit() {
        RecommitEvent event = new RecommitEvent();
        event.begin();
        return event;
    }

    /** {@return a started discard event} */
    public static DiscardEvent beginDiscard() {
        DiscardEvent event = new DiscardEvent();
        event.begin();
        return event;
    }

    /**
     * Commits a protect event, if a recording wants it.
     *
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
     * @param address the region's base address
     * @param reservedBytes its reservation, in bytes
     * @param allocationSite the stack trace of its allocation, or empty
     */
    static void leaked(String platform, long address, long reservedBytes, String allocationSite) {
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
