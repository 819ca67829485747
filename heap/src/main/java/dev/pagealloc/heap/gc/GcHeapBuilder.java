package dev.pagealloc.heap.gc;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.ViewQuarantine;
import dev.pagealloc.api.ViewSharing;

/**
 * Configures a {@link GcHeap}; checked at {@link #build()}. Not thread-safe.
 */
public final class GcHeapBuilder {

    /** The block size of the nursery and the old generation when the allocator's page is smaller, in bytes. */
    public static final long MINIMUM_BLOCK_BYTES = 64 * 1024;

    /**
     * The young generation's share of a budget set by {@link #withHeapBytes}: 1 / (NewRatio + 1) with HotSpot's
     * default {@code NewRatio} of 2 (openjdk/jdk, src/hotspot/share/gc/shared/gc_globals.hpp: "Ratio of old/new
     * generation sizes", 2), which ParallelGC applies as is ({@code -Xmx1g} gives {@code NewSize} 341 MiB) and
     * which falls between G1's young-generation bounds, {@code G1NewSizePercent} 5 and {@code G1MaxNewSizePercent}
     * 60 (src/hotspot/share/gc/g1/g1_globals.hpp).
     */
    static final int OLD_TO_NURSERY_RATIO = 2;

    long nurseryBytes = 8L << 20;
    long oldGenerationLimitBytes = 256L << 20;
    /** The budget of {@link #withHeapBytes}, or 0 if the two sizes are set (or left) one by one. */
    private long heapBytes;
    private boolean sizesSetOneByOne;
    long largeObjectThresholdBytes = 32 * 1024;
    int tenureAge = 2;
    int collectEveryAllocations;
    boolean verifyAfterCollection;
    boolean compaction;
    ObjectTagSpaces objectTags;
    private PageAllocator allocator;

    GcHeapBuilder() {
    }

    /**
     * Sets the nursery's size.
     *
     * @param bytes in bytes; a multiple of the block size (the larger of 64 KiB and the allocator's page)
     *     and at least 4 blocks; 8 MiB unless set
     * @return this builder
     */
    public GcHeapBuilder withNurseryBytes(long bytes) {
        this.nurseryBytes = bytes;
        this.sizesSetOneByOne = true;
        return this;
    }

    /**
     * Sets the most the old generation (its blocks and the large objects) may commit.
     *
     * @param bytes in bytes; a multiple of the block size; 256 MiB unless set
     * @return this builder
     */
    public GcHeapBuilder withOldGenerationLimitBytes(long bytes) {
        this.oldGenerationLimitBytes = bytes;
        this.sizesSetOneByOne = true;
        return this;
    }

    /**
     * Sets the nursery and the old-generation limit from one budget, split the way HotSpot splits a Java heap
     * of that size by default ({@code NewRatio=2}): a third, rounded down to the block size, to the nursery and
     * the rest, rounded down to the block size, to the old generation. With {@code -Xmx1g}, HotSpot's
     * ParallelGC makes its young generation 341 MiB, and so does {@code withHeapBytes(1L << 30)}; a program
     * compared with Java objects in a JVM of that heap size then has as much room on both sides.
     *
     * @param bytes in bytes; at least 12 blocks (so the nursery gets its 4); not together with
     *     {@link #withNurseryBytes} or {@link #withOldGenerationLimitBytes}
     * @return this builder
     */
    public GcHeapBuilder withHeapBytes(long bytes) {
        this.heapBytes = bytes;
        return this;
    }

    /**
     * Sets the size from which an object (header included) goes to the large-object space.
     *
     * @param bytes in bytes; a multiple of 8, from 16 to half the block size; 32 KiB unless set
     * @return this builder
     */
    public GcHeapBuilder withLargeObjectThresholdBytes(long bytes) {
        this.largeObjectThresholdBytes = bytes;
        return this;
    }

    /**
     * Sets how many minor collections an object survives in the nursery before it is promoted.
     *
     * @param collections 1 to 15 (1 promotes at the first collection); 2 unless set
     * @return this builder
     */
    public GcHeapBuilder withTenureAge(int collections) {
        this.tenureAge = collections;
        return this;
    }

    /**
     * Stress mode: a minor collection before every {@code allocations}-th allocation.
     *
     * @param allocations {@code >= 0}; 0 (the default) turns it off
     * @return this builder
     */
    public GcHeapBuilder withCollectEveryAllocations(int allocations) {
        this.collectEveryAllocations = allocations;
        return this;
    }

    /**
     * Compacts the old generation in every major collection: the live, unpinned objects of blocks less than
     * half full move into other blocks (references to them updated), and the emptied blocks are
     * decommitted, so their pages go back to the kernel. Objects move only in collections, as in the
     * nursery; pinned objects never do.
     *
     * @param enabled whether to compact; false unless set
     * @return this builder
     */
    public GcHeapBuilder withCompaction(boolean enabled) {
        this.compaction = enabled;
        return this;
    }

    /**
     * Runs the heap verifier after every collection (a test mode: it walks the whole live graph).
     *
     * @param enabled whether to verify; false unless set
     * @return this builder
     */
    public GcHeapBuilder withVerifyAfterCollection(boolean enabled) {
        this.verifyAfterCollection = enabled;
        return this;
    }

    /**
     * Uses this page allocator for every region of the heap, so its options (huge pages, NUMA policy,
     * budget, populate) apply to the heap. Unless set, the heap builds one with the defaults and shared
     * views ({@link ViewSharing#SHARED}, no quarantine, so shutdown releases at once). With
     * {@link ViewSharing#CONFINED} views the heap works from the thread that built it only.
     *
     * @param pageAllocator the allocator
     * @return this builder
     * @throws NullPointerException if {@code pageAllocator} is null
     */
    public GcHeapBuilder withPageAllocator(PageAllocator pageAllocator) {
        if (pageAllocator == null) {
            throw new NullPointerException("withPageAllocator(pageAllocator=null): pageAllocator must not be null");
        }
        this.allocator = pageAllocator;
        return this;
    }

    /**
     * Turns on the checked mode: every object is tagged, as on a CPU with memory tagging. Its header and
     * payload take whole 16-byte granules of their own (up to 8 bytes more per object) and get a tag from
     * {@code tagSpaces} when allocated, and a new one when the object dies (a sweep, a minor collection that
     * finds it dead) or moves (a minor collection's copy, a compaction: the old copy's granules are retagged).
     * Every address the heap hands out (from allocations, reference fields, roots, handles) carries the
     * object's tag in bits 56 to 59, and every call that takes an address checks that tag against the granules
     * it touches first: a field access at {@code byteOffset} checks the granules of the bytes at the pointer
     * plus the offset, so an address kept past a collection that freed or moved its object, or an offset that
     * runs into the next object, throws {@link dev.pagealloc.api.TagMismatchException} naming the address,
     * the pointer's tag and the memory's tag. Every call then takes the heap's lock (no lock-free fast
     * path). Off unless set; a heap without it never looks at a tag.
     *
     * @param tagSpaces where the tag memory comes from, for example the software tagger's
     *     {@code GcObjectTagging.software(...)}; its include mask must leave out tag 0
     * @return this builder
     * @throws NullPointerException if {@code tagSpaces} is null
     */
    public GcHeapBuilder withObjectTags(ObjectTagSpaces tagSpaces) {
        if (tagSpaces == null) {
            throw new NullPointerException("withObjectTags(tagSpaces=null): tagSpaces must not be null");
        }
        this.objectTags = tagSpaces;
        return this;
    }

    /**
     * Builds the heap: reserves the nursery, the old generation and its card table.
     *
     * @return the heap
     * @throws IllegalArgumentException if a size breaks its rule above (with object tags the large-object
     *     threshold must be a multiple of 16), or the object tag spaces' include mask has tag 0; the message
     *     names it and the limit
     * @throws dev.pagealloc.api.PageAllocatorException if the allocator refuses a region; nothing stays
     *     reserved
     */
    public GcHeap build() {
        PageAllocator chosen = allocator != null ? allocator
                : PageAllocator.builder().withViewSharing(ViewSharing.SHARED).withViewQuarantine(ViewQuarantine.NONE)
                        .build();
        long blockBytes = Math.max(MINIMUM_BLOCK_BYTES, chosen.pageBytes());
        if (blockBytes % chosen.pageBytes() != 0) {
            throw new IllegalArgumentException("build(): the allocator's pageBytes=" + chosen.pageBytes()
                    + " does not divide the block size " + blockBytes);
        }
        if (heapBytes != 0) {
            check(!sizesSetOneByOne, "heapBytes", heapBytes,
                    "left unset when nurseryBytes or oldGenerationLimitBytes is set");
            check(heapBytes >= 3 * 4 * blockBytes, "heapBytes", heapBytes,
                    "at least 12 blocks of " + blockBytes + " bytes");
            nurseryBytes = heapBytes / (OLD_TO_NURSERY_RATIO + 1) / blockBytes * blockBytes;
            oldGenerationLimitBytes = (heapBytes - nurseryBytes) / blockBytes * blockBytes;
        }
        check(nurseryBytes % blockBytes == 0 && nurseryBytes >= 4 * blockBytes, "nurseryBytes", nurseryBytes,
                "a multiple of the block size " + blockBytes + " and at least 4 blocks");
        check(oldGenerationLimitBytes % blockBytes == 0 && oldGenerationLimitBytes >= blockBytes,
                "oldGenerationLimitBytes", oldGenerationLimitBytes, "a multiple of the block size " + blockBytes);
        check(largeObjectThresholdBytes % 8 == 0 && largeObjectThresholdBytes >= 16
                && largeObjectThresholdBytes <= blockBytes / 2, "largeObjectThresholdBytes",
                largeObjectThresholdBytes, "a multiple of 8 in [16, " + blockBytes / 2 + "]");
        check(objectTags == null || largeObjectThresholdBytes % 16 == 0, "largeObjectThresholdBytes",
                largeObjectThresholdBytes, "a multiple of 16 with object tags (objects take whole granules)");
        check(tenureAge >= 1 && tenureAge <= Header.MAX_AGE, "tenureAge", tenureAge, "in [1, 15]");
        check(collectEveryAllocations >= 0, "collectEveryAllocations", collectEveryAllocations, ">= 0");
        return new GcHeap(this, chosen, allocator == null, blockBytes);
    }

    private static void check(boolean ok, String name, long value, String rule) {
        if (!ok) {
            throw new IllegalArgumentException("build(" + name + "=" + value + "): " + name + " must be " + rule);
        }
    }
}
