package dev.pagealloc.jit;

import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;

/**
 * Code pages that change protection: read-write while written, read-execute once sealed
 * ({@code mprotect} on Linux, {@code mach_vm_protect} on macOS, {@code VirtualProtect} on Windows,
 * through {@link Region#protect}). One address, so code can only be patched while it cannot run.
 *
 * <p>Thread-safe as {@link Region}.
 */
final class FlipPages implements CodePages {
    private final Region region;
    private final long byteSize;
    private final InstructionCache cache;

    /**
     * Wraps the committed, read-write pages of {@code region}.
     *
     * @param region a region with {@code byteSize} bytes committed read-write
     * @param byteSize the bytes used, in bytes; a multiple of the region's protection granule
     * @param cache the instruction cache maintenance
     */
    FlipPages(Region region, long byteSize, InstructionCache cache) {
        this.region = region;
        this.byteSize = byteSize;
        this.cache = cache;
    }

    @Override
    public long writableAddress() {
        return region.address();
    }

    @Override
    public long executableAddress() {
        return region.address();
    }

    @Override
    public long byteSize() {
        return byteSize;
    }

    @Override
    public long alignmentBytes() {
        return region.protectionGranuleBytes();
    }

    @Override
    public void makeWritable(long byteOffset, long byteLength) {
        region.protect(byteOffset, byteLength, Protection.READ_WRITE);
    }

    @Override
    public void makeExecutable(long byteOffset, long byteLength) {
        region.protect(byteOffset, byteLength, Protection.READ_EXECUTE);
        cache.flush(region.address() + byteOffset, byteLength);
    }

    @Override
    public void makeInaccessible(long byteOffset, long byteLength) {
        region.protect(byteOffset, byteLength, Protection.NONE);
    }

    @Override
    public void release() {
        region.deallocate();
    }
}
