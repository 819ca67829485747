package dev.pagealloc.internal.observe;

import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Registered;
import jdk.jfr.StackTrace;

/** A region's whole reservation was released. */
@Registered(false) // registered by RegionEvents once Flight Recorder runs: see there
@StackTrace(false) // per-page operations can be frequent: see RegionEvents
@Name("dev.pagealloc.Deallocate")
@Label("Region Deallocate")
@Description("A region's views invalidated and its whole reservation, guards included, released")
public final class DeallocateEvent extends RegionEvent {
    @Label("Reserved Bytes")
    @DataAmount
    long reservedBytes;

    @Label("Committed Bytes")
    @Description("Committed when released, decommitted pages excluded")
    @DataAmount
    long committedBytes;

    /**
     * An empty event, filled, timed and committed by {@link RegionEvents} on the thread that
     * created it; the instance is not thread-safe.
     */
    public DeallocateEvent() {
        // the fields are set only when a recording enables the event
    }
}
