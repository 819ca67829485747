package dev.pagealloc.heap.gc;

import dev.pagealloc.api.DeferredUnmap;
import dev.pagealloc.api.Region;

/**
 * The last step of {@link GcHeap#close()}: its regions go back, at once, or (while another attached thread may
 * be inside a lock-free path) their pages at once and their mappings once the heap is unreachable.
 */
final class HeapShutdown {

    private HeapShutdown() {
    }

    /**
     * Releases every region of {@code heap}: large objects, nursery, old generation, card table, and the tag
     * memory of a checked heap. Under the lock, once the heap is marked closed.
     */
    static void releaseRegions(GcHeap heap) {
        // Large objects are never read through the fast paths: they go at once.
        heap.large.releaseAll();
        if (fastPathMayRun(heap)) {
            // Another attached thread may be inside a fast path (misuse: racing its own calls with close),
            // reading through AddressSpace.ALL: a mapping gone under it would crash the JVM. So the pages go
            // now and the mappings once the heap is unreachable (that thread's stack holds it while it
            // lives): the core's DeferredUnmap mode. The old generation has decommitted blocks among its
            // committed ones, which one discard refuses: it drops its own committed runs and the card table's.
            heap.old.dropPages();
            heldBy(heap, heap.nursery.region).release();
            heldBy(heap, heap.old.region).releaseDroppedPages();
            heldBy(heap, heap.old.cardRegion).releaseDroppedPages();
        } else {
            heap.nursery.region.deallocate();
            heap.old.region.deallocate();
            heap.old.cardRegion.deallocate();
        }
        if (heap.tags != null) {
            heap.tags.close();
        }
    }

    /** {@return {@code region} in the DeferredUnmap mode, unmapped once {@code heap} is unreachable} */
    private static DeferredUnmap heldBy(GcHeap heap, Region region) {
        DeferredUnmap unmap = DeferredUnmap.of(region);
        unmap.unmapWhenUnreachable(heap);
        return unmap;
    }

    /**
     * {@return whether a thread other than the caller may be inside a lock-free path}: one attached to
     * {@code heap} (its stack not released) and alive. A checked heap has no lock-free paths. Under the lock.
     */
    private static boolean fastPathMayRun(GcHeap heap) {
        if (heap.tags != null) {
            return false;
        }
        Thread self = Thread.currentThread();
        for (ShadowStack stack : heap.stacks) {
            if (!stack.isReleased() && stack.owner != self && stack.owner.isAlive()) {
                return true;
            }
        }
        return false;
    }
}
