package dev.pagealloc.internal.observe;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** A range of a region was discarded. */
@Name("dev.pagealloc.Discard")
@Label("Region Discard")
@Description("The contents of a range of a region dropped, mapping and protection kept")
public final class DiscardEvent extends RangeEvent {}
