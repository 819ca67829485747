package dev.pagealloc.testkit;

/** One of a region's range operations, so {@link BadInputContract} checks them all alike. */
@FunctionalInterface
interface RangeCall {
    void apply(long byteOffset, long byteLength);
}
