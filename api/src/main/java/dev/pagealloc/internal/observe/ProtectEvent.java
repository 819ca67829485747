package dev.pagealloc.internal.observe;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Registered;

/** A range of a region changed protection. */
@Registered(false) // registered by RegionEvents once Flight Recorder runs: see there
@Name("dev.pagealloc.Protect")
@Label("Region Protect")
@Description("A page-aligned range of a region given a new protection")
public final class ProtectEvent extends RangeEvent {
    @Label("Protection")
    String protection;
}
