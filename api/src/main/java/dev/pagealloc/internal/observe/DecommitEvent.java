package dev.pagealloc.internal.observe;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Registered;
import jdk.jfr.StackTrace;

/** A range of a region was decommitted. */
@Registered(false) // registered by RegionEvents once Flight Recorder runs: see there
@StackTrace(false) // per-page operations can be frequent: see RegionEvents
@Name("dev.pagealloc.Decommit")
@Label("Region Decommit")
@Description("A range of a region decommitted: contents dropped, pages inaccessible, memory returned")
public final class DecommitEvent extends RangeEvent {
    /**
     * An empty event, filled, timed and committed by {@link RegionEvents} on the thread that
     * created it; the instance is not thread-safe.
     */
    public DecommitEvent() {
        // the fields are set only when a recording enables the event
    }
}
