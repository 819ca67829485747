package dev.pagealloc.internal.observe;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** A range of a region was decommitted. */
@Name("dev.pagealloc.Decommit")
@Label("Region Decommit")
@Description("A range of a region decommitted: contents dropped, pages inaccessible, memory returned")
public final class DecommitEvent extends RangeEvent {}
