package dev.pagealloc.internal.observe;

import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Registered;

/** A region was reserved and its initial pages committed. */
@Registered(false) // registered by RegionEvents once Flight Recorder runs: see there
@Name("dev.pagealloc.Allocate")
@Label("Region Allocate")
@Description("A region reserved (guards included) and its initial pages committed")
public final class AllocateEvent extends RegionEvent {
    @Label("Reserved Bytes")
    @Description("The whole reservation, guard regions included")
    @DataAmount
    long reservedBytes;

    @Label("Committed Bytes")
    @DataAmount
    long committedBytes;

    @Label("Pages")
    @Description("Initial pages, in the allocator's page unit")
    long pages;

    @Label("Maximum Pages")
    long maximumPages;

    @Label("Page Bytes")
    @Description("The allocator's page unit")
    @DataAmount
    long pageBytes;

    /**
     * An empty event, filled, timed and committed by {@link RegionEvents} on the thread that
     * created it; the instance is not thread-safe.
     */
    public AllocateEvent() {
        // the fields are set only when a recording enables the event
    }
}
