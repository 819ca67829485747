package dev.pagealloc.internal.observe;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Registered;
import jdk.jfr.StackTrace;

/** A range of a region was committed again. */
@Registered(false) // registered by RegionEvents once Flight Recorder runs: see there
@StackTrace(false) // per-page operations can be frequent: see RegionEvents
@Name("dev.pagealloc.Recommit")
@Label("Region Recommit")
@Description("A decommitted range of a region committed again, read-write and zero")
public final class RecommitEvent extends RangeEvent {
    /**
     * An empty event, filled, timed and committed by {@link RegionEvents} on the thread that
     * created it; the instance is not thread-safe.
     */
    public RecommitEvent() {
        // the fields are set only when a recording enables the event
    }
}
