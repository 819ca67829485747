package dev.pagealloc.heap.gc;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * Objects at or above the large-object threshold: each in a region of its own, taken straight from
 * the page allocator, never moved, and deallocated by the sweep that finds it dead.
 *
 * <p>Not thread-safe: the heap's lock guards it.
 */
final class LargeObjectSpace {

    private record Large(Region region, MemorySegment memory) {
    }

    private final PageAllocator allocator;
    private final TreeMap<Long, Large> objects = new TreeMap<>();
    private long committedBytes;
    /** A checked heap's object tags, or null; set once by the heap after construction. */
    ObjectTags tags;

    LargeObjectSpace(PageAllocator allocator) {
        this.allocator = allocator;
    }

    /** {@return the new object's payload address; its header and payload read zero} */
    long allocate(long objectBytes) {
        long pages = Math.ceilDiv(objectBytes, allocator.pageBytes());
        Region region = allocator.allocate(pages, pages);
        Large large = new Large(region, region.segment(0, objectBytes));
        long payload = region.address() + Header.BYTES;
        objects.put(payload, large);
        committedBytes += region.byteSize();
        return payload;
    }

    static long committedBytesFor(long objectBytes, long pageBytes) {
        return Math.ceilDiv(objectBytes, pageBytes) * pageBytes;
    }

    /** Calls {@code action} with every large object's payload address. */
    void forEachObject(java.util.function.LongConsumer action) {
        for (long object : objects.keySet()) {
            action.accept(object);
        }
    }

    boolean isObjectStart(long address) {
        return objects.containsKey(address);
    }

    /** {@return whether {@code address} is inside a large object (header included)} */
    boolean contains(long address) {
        Map.Entry<Long, Large> entry = objects.floorEntry(address + Header.BYTES);
        return entry != null && address < entry.getValue().region().address() + entry.getValue().memory().byteSize();
    }

    MemorySegment memoryOf(long payloadAddress) {
        return objects.get(payloadAddress).memory();
    }

    long getLong(long address) {
        Large large = objects.floorEntry(address + Header.BYTES).getValue();
        return large.memory().get(ValueLayout.JAVA_LONG, address - large.region().address());
    }

    void setLong(long address, long value) {
        Large large = objects.floorEntry(address + Header.BYTES).getValue();
        large.memory().set(ValueLayout.JAVA_LONG, address - large.region().address(), value);
    }

    Iterable<Long> objects() {
        return objects.keySet();
    }

    int count() {
        return objects.size();
    }

    long committedBytes() {
        return committedBytes;
    }

    /**
     * Deallocates every large object whose header has no mark and clears the others' marks.
     *
     * @return the bytes of the objects freed (header and payload, as allocated)
     */
    long sweep() {
        long freed = 0;
        long freedObjectBytes = 0;
        for (Iterator<Map.Entry<Long, Large>> it = objects.entrySet().iterator(); it.hasNext();) {
            Map.Entry<Long, Large> entry = it.next();
            Large large = entry.getValue();
            long header = large.memory().get(ValueLayout.JAVA_LONG, 0);
            if ((header & Header.MARK) != 0) {
                large.memory().set(ValueLayout.JAVA_LONG, 0, header & ~Header.MARK);
            } else {
                freed += large.region().byteSize();
                freedObjectBytes += Header.objectBytes(Header.payloadBytes(header), tags != null);
                it.remove();
                if (tags != null) {
                    tags.closeLarge(large.region().address());
                }
                large.region().deallocate();
            }
        }
        committedBytes -= freed;
        return freedObjectBytes;
    }

    /** Deallocates a large object that was never handed out (its allocation failed after the region was had). */
    void release(long payloadAddress) {
        Large large = objects.remove(payloadAddress);
        committedBytes -= large.region().byteSize();
        large.region().deallocate();
    }

    void releaseAll() {
        for (Large large : objects.values()) {
            large.region().deallocate();
        }
        objects.clear();
        committedBytes = 0;
    }
}
