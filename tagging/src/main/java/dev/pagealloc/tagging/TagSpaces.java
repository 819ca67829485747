package dev.pagealloc.tagging;

import dev.pagealloc.api.MemoryTagging;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.TagSpace;
import dev.pagealloc.api.ViewSharing;

/**
 * Gives a region the {@link TagSpace} its {@linkplain Region#appliedOptions() applied} tagging asks for.
 *
 * <p>Thread-safe.
 */
public final class TagSpaces {
    private TagSpaces() {
    }

    /** The allocator of shadow regions when the caller names none: built on first use. */
    private static final class DefaultShadow {
        static final PageAllocator ALLOCATOR = PageAllocator.builder().withViewSharing(ViewSharing.SHARED).build();
    }

    /** {@return the allocator shadow regions come from by default: this platform's, with shared views} */
    public static PageAllocator defaultShadowAllocator() {
        return DefaultShadow.ALLOCATOR;
    }

    /**
     * {@return a software tag space over the whole reservation of {@code region}} (its maximum, rounded up to
     * a granule), pointers being the region's addresses; shadow from {@link #defaultShadowAllocator()}
     *
     * @param region a live region whose applied tagging has policy {@link MemoryTagging.TaggingPolicy#SOFTWARE}
     * @throws IllegalStateException if the region is not tagged in software: the message names its applied
     *     tagging (without tagging there is nothing to check: build the allocator
     *     {@code withMemoryTagging(TaggingPolicy.SOFTWARE, mode)})
     * @throws dev.pagealloc.api.PageAllocatorException if the shadow cannot be reserved
     */
    public static SoftwareTagSpace software(Region region) {
        return software(region, defaultShadowAllocator());
    }

    /**
     * Same as {@link #software(Region)} with the shadow from {@code shadowAllocator}.
     *
     * @param region a live region tagged in software
     * @param shadowAllocator an allocator with {@link ViewSharing#SHARED} views
     * @return the tag space; close it to release its shadow
     * @throws IllegalStateException if the region is not tagged in software
     * @throws IllegalArgumentException if the shadow allocator's views are not shared
     * @throws dev.pagealloc.api.PageAllocatorException if the shadow cannot be reserved
     */
    public static SoftwareTagSpace software(Region region, PageAllocator shadowAllocator) {
        MemoryTagging tagging = region.appliedOptions().memoryTagging();
        if (tagging.policy() != MemoryTagging.TaggingPolicy.SOFTWARE) {
            throw new IllegalStateException("software(region=0x" + Long.toHexString(region.address())
                    + "): the region's applied tagging is " + tagging + ", not SOFTWARE; build its allocator"
                    + " withMemoryTagging(TaggingPolicy.SOFTWARE or BEST_AVAILABLE, mode)");
        }
        if (!region.isAlive()) {
            throw new IllegalStateException("software(region=0x" + Long.toHexString(region.address())
                    + "): the region is deallocated");
        }
        return SoftwareTagSpace.create(shadowAllocator, tagging, region.address(),
                Math.multiplyExact(region.maximumPages(), region.pageBytes()));
    }
}
