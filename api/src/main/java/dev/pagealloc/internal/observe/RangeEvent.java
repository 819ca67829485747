package dev.pagealloc.internal.observe;

import jdk.jfr.DataAmount;
import jdk.jfr.Label;

/** A region event over the byte range {@code [byteOffset, byteOffset + byteLength)} of the region. */
public abstract class RangeEvent extends RegionEvent {
    @Label("Byte Offset")
    @DataAmount
    long byteOffset;

    @Label("Byte Length")
    @DataAmount
    long byteLength;

    /** For the concrete events of this package; subclasses are not thread-safe either. */
    protected RangeEvent() {
    }
}
