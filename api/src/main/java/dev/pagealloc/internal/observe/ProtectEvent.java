package dev.pagealloc.internal.observe;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Registered;
import jdk.jfr.StackTrace;

/** A range of a region changed protection. */
@Registered(false) // registered by RegionEvents once Flight Recorder runs: see there
@StackTrace(false) // per-page operations can be frequent: see RegionEvents
@Name("dev.pagealloc.Protect")
@Label("Region Protect")
@Description("A page-aligned range of a region given a new protection")
public final class ProtectEvent extends RangeEvent {
    @Label("Protection")
    String protection;

    /**
     * An empty event, filled, timed and committed by {@link RegionEvents} on the thread that
     * created it; the instance is not thread-safe.
     */
    public ProtectEvent() {
        // the fields are set only when a recording enables the event
    }
}
