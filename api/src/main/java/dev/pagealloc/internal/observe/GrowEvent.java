package dev.pagealloc.internal.observe;

import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Registered;
import jdk.jfr.StackTrace;

/** A region grew in place. */
@Registered(false) // registered by RegionEvents once Flight Recorder runs: see there
@StackTrace(false) // per-page operations can be frequent: see RegionEvents
@Name("dev.pagealloc.Grow")
@Label("Region Grow")
@Description("Pages committed in place after a region's last page; the base address does not move")
public final class GrowEvent extends RegionEvent {
    @Label("Previous Pages")
    long previousPages;

    @Label("Additional Pages")
    long additionalPages;

    @Label("Committed Bytes")
    @Description("The region's committed bytes after the grow")
    @DataAmount
    long committedBytes;

    /**
     * An empty event, filled, timed and committed by {@link RegionEvents} on the thread that
     * created it; the instance is not thread-safe.
     */
    public GrowEvent() {
        // the fields are set only when a recording enables the event
    }
}
