package dev.pagealloc.tagging;

import dev.pagealloc.api.AllocatorConfig;
import dev.pagealloc.api.AllocatorStatistics;
import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.FeatureSupport;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import dev.pagealloc.spi.FeatureAnswer;
import dev.pagealloc.spi.NativeAccess;
import dev.pagealloc.spi.PlatformFeature;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * A page allocator that gives every region it hands out a software tag space, found again by address: how a
 * layer that only sees addresses (a heap's blocks) reaches the tags of the region under them. Regions are the
 * delegate's own; a region's tag space is released once the region is deallocated (at the next allocation or
 * lookup that meets it).
 *
 * <p>Thread-safe.
 */
final class TaggingPageAllocator implements PageAllocator {
    private final PageAllocator delegate;
    private final ConcurrentSkipListMap<Long, TaggedRegion> regions = new ConcurrentSkipListMap<>();

    TaggingPageAllocator(PageAllocator delegate) {
        this.delegate = delegate;
    }

    @Override
    public Region allocate(long initialPages, long maximumPages) {
        sweep();
        Region region = delegate.allocate(initialPages, maximumPages);
        try {
            regions.put(region.address(), TaggedRegion.of(region));
        } catch (RuntimeException e) {
            region.deallocate();
            throw e;
        }
        return region;
    }

    @Override
    public Region allocate(long initialPages) {
        sweep();
        Region region = delegate.allocate(initialPages);
        try {
            regions.put(region.address(), TaggedRegion.of(region));
        } catch (RuntimeException e) {
            region.deallocate();
            throw e;
        }
        return region;
    }

    /**
     * {@return the tagged region holding {@code address}}
     *
     * @param address an untagged address
     * @throws IllegalStateException if no live region of this allocator holds it, naming the address
     */
    TaggedRegion regionAt(long address) {
        Map.Entry<Long, TaggedRegion> e = regions.floorEntry(address);
        if (e != null) {
            TaggedRegion tagged = e.getValue();
            Region region = tagged.region();
            if (address < region.address() + tagged.tags().byteSize()) {
                if (region.isAlive()) {
                    return tagged;
                }
                if (regions.remove(e.getKey(), tagged)) {
                    tagged.close();
                }
            }
        }
        throw new IllegalStateException("0x" + Long.toHexString(address) + ": no live region of this heap holds it"
                + " (a block freed and its pages released, or never allocated here)");
    }

    /** Releases the tag spaces of regions that were deallocated. */
    private void sweep() {
        for (Map.Entry<Long, TaggedRegion> e : regions.entrySet()) {
            if (!e.getValue().region().isAlive() && regions.remove(e.getKey(), e.getValue())) {
                e.getValue().close();
            }
        }
    }

    /** Releases every tag space (the regions are the heap's to release). */
    void closeTags() {
        for (TaggedRegion tagged : regions.values()) {
            tagged.close();
        }
        regions.clear();
    }

    @Override
    public String platform() {
        return delegate.platform();
    }

    @Override
    public long pageBytes() {
        return delegate.pageBytes();
    }

    @Override
    public AllocatorConfig config() {
        return delegate.config();
    }

    @Override
    public Capabilities capabilities() {
        return delegate.capabilities();
    }

    @Override
    public AllocatorStatistics statistics() {
        return delegate.statistics();
    }

    @Override
    public List<FeatureSupport> features() {
        return delegate.features();
    }

    @Override
    public <F extends PlatformFeature> FeatureAnswer<F> platformFeature(Class<F> type) {
        // Restricted: the delegate would see this module as the caller, so check the real one first.
        NativeAccess.ensureCallerHasNativeAccess("PageAllocator.platformFeature");
        return delegate.platformFeature(type);
    }
}
