package dev.pagealloc.internal.observe;

import jdk.jfr.Category;
import jdk.jfr.Label;
import jdk.jfr.MemoryAddress;

/**
 * Fields every region event has. Abstract, so JFR registers only its subclasses. Instances are used
 * by one thread, from {@code begin()} to {@code commit()}.
 */
@Category({"pagealloc", "Region Operations"})
public abstract class RegionEvent extends jdk.jfr.Event {
    @Label("Platform")
    String platform;

    @Label("Region Address")
    @MemoryAddress
    long address;

    /** For the concrete events of this package; subclasses are not thread-safe either. */
    protected RegionEvent() {
    }
}
