package dev.pagealloc.bench;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.ViewQuarantine;
import dev.pagealloc.api.ViewSharing;

/** Our allocator, configured to be compared like for like with raw system calls. */
final class Allocators {
    /** The system page on x86-64 Linux, in bytes; the unit of every benchmark here. */
    static final long SYSTEM_PAGE_BYTES = 4096;
    /** The platform provider measured. */
    static final String PLATFORM = "linux";

    private Allocators() {}

    /**
     * {@return an allocator whose logical page is the system page and whose regions have no guard
     * pages}, so that allocate, grow, protect and deallocate make exactly the peers' system calls
     *
     * @param viewSharing the sharing of region views, which decides what invalidating them costs
     * @throws IllegalStateException if the Linux provider is absent (see {@code PageAllocator.providers()})
     */
    static PageAllocator systemPages(ViewSharing viewSharing) {
        return systemPages(viewSharing, ViewQuarantine.DEFAULT);
    }

    /**
     * {@return an allocator as {@link #systemPages(ViewSharing)}, with the given retirement of shared views}
     *
     * @param viewSharing the sharing of region views
     * @param viewQuarantine how shared views of deallocated regions are retired
     * @throws IllegalStateException if the Linux provider is absent
     */
    static PageAllocator systemPages(ViewSharing viewSharing, ViewQuarantine viewQuarantine) {
        return PageAllocator.builder()
                .withPlatform(PLATFORM)
                .withPageBytes(SYSTEM_PAGE_BYTES)
                .withGuardPages(false)
                .withViewSharing(viewSharing)
                .withViewQuarantine(viewQuarantine)
                .build();
    }

    /**
     * Releases whichever peer a trial measured: our region, the raw FFM mapping (and its binding's
     * arena), or the JNA mapping. Absent peers are null or 0.
     *
     * @param region our region, or null
     * @param ffm the raw FFM binding, or null
     * @param rawAddress the raw FFM mapping
     * @param jnaAddress the JNA mapping, or 0
     * @param byteSize the size of the raw and JNA mappings, in bytes
     * @throws Throwable never in practice (downcall handles declare it)
     */
    static void release(dev.pagealloc.api.Region region, FfmLibc ffm, long rawAddress, long jnaAddress, long byteSize)
            throws Throwable {
        if (region != null) {
            region.deallocate();
        }
        if (ffm != null) {
            ffm.munmap(rawAddress, byteSize);
            ffm.close();
        }
        if (jnaAddress != 0) {
            JnaLibc.release(jnaAddress, byteSize);
        }
    }
}
