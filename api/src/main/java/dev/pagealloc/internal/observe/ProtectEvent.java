package dev.pagealloc.internal.observe;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** A range of a region changed protection. */
@Name("dev.pagealloc.Protect")
@Label("Region Protect")
@Description("A page-aligned range of a region given a new protection")
public final class ProtectEvent extends RangeEvent {
    @Label("Protection")
    String protection;
}
