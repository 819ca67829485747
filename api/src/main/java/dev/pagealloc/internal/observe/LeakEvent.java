package dev.pagealloc.internal.observe;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.MemoryAddress;
import jdk.jfr.Name;
import jdk.jfr.Registered;
import jdk.jfr.StackTrace;

/**
 * A region became unreachable without {@code deallocate()}. The event's own stack trace would be
 * the leak detector's thread, so it has none; the allocation site is a field.
 */
@Registered(false) // registered by RegionEvents once Flight Recorder runs: see there
@Name("dev.pagealloc.RegionLeak")
@Label("Region Leak")
@Description("A region became unreachable without deallocate(); its memory stays reserved until the process exits")
@Category({"pagealloc", "Problems"})
@StackTrace(false)
final class LeakEvent extends jdk.jfr.Event {
    @Label("Platform")
    String platform;

    @Label("Region Address")
    @MemoryAddress
    long address;

    @Label("Reserved Bytes")
    @Description("The whole reservation, guard regions included")
    @DataAmount
    long reservedBytes;

    @Label("Allocation Site")
    @Description("The stack trace of the allocate() call, if leak detection recorded it for this region")
    String allocationSite;
}
