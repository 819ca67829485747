package dev.pagealloc.bench;

import dev.pagealloc.api.PageAllocator;
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
        return PageAllocator.builder()
                .withPlatform(PLATFORM)
                .withPageBytes(SYSTEM_PAGE_BYTES)
                .withGuardPages(false)
                .withViewSharing(viewSharing)
                .build();
    }
}
