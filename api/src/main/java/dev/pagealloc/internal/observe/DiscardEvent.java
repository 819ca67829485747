package dev.pagealloc.internal.observe;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Registered;
import jdk.jfr.StackTrace;

/** A range of a region was discarded. */
@Registered(false) // registered by RegionEvents once Flight Recorder runs: see there
@StackTrace(false) // per-page operations can be frequent: see RegionEvents
@Name("dev.pagealloc.Discard")
@Label("Region Discard")
@Description("The contents of a range of a region dropped, mapping and protection kept")
public final class DiscardEvent extends RangeEvent {
    /**
     * An empty event, filled, timed and committed by {@link RegionEvents} on the thread that
     * created it; the instance is not thread-safe.
     */
    public DiscardEvent() {
        // the fields are set only when a recording enables the event
    }
}
