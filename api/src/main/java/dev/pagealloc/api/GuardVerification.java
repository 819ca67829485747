package dev.pagealloc.api;

/**
 * When software-checked guards are verified. Where the hardware enforces guards (every OS
 * provider) verification finds nothing to do; the embedded provider, which has no MMU to lean on,
 * fills inaccessible pages with a canary pattern and checks it at these points.
 */
public enum GuardVerification {
    /** Only when {@link Region#verifyGuards()} is called. */
    ON_DEMAND,
    /** Also before a region's reservation is released. The default. */
    ON_DEALLOCATE,
    /** Also before every operation on a region: slowest, catches corruption soonest. */
    EVERY_OPERATION
}
