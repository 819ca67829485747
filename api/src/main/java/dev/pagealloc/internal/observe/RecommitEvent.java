package dev.pagealloc.internal.observe;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** A range of a region was committed again. */
@Name("dev.pagealloc.Recommit")
@Label("Region Recommit")
@Description("A decommitted range of a region committed again, read-write and zero")
public final class RecommitEvent extends RangeEvent {}
