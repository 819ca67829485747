package dev.pagealloc.testkit;

import dev.pagealloc.api.Region;
import dev.pagealloc.api.Units;

/**
 * A half-open range of addresses {@code [start, end)}, compared unsigned as the kernel does.
 *
 * @param start the first address
 * @param end the first address past the range
 */
record AddressRange(long start, long end) {
    /** {@return a region's whole reservation, guards included} */
    static AddressRange reservationOf(Region region) {
        long start = region.address() - region.guardBeforeBytes();
        return new AddressRange(start, start + region.reservedBytes());
    }

    /** {@return {@code end - start}, in bytes} */
    long byteSize() {
        return end - start;
    }

    /** {@return whether {@code [otherStart, otherEnd)} shares an address with this range} */
    boolean overlaps(long otherStart, long otherEnd) {
        return Long.compareUnsigned(otherStart, end) < 0 && Long.compareUnsigned(start, otherEnd) < 0;
    }

    @Override
    public String toString() {
        return "[" + Units.hex(start) + ", " + Units.hex(end) + ")";
    }
}
