package dev.pagealloc.cli;

import dev.pagealloc.api.Units;
import dev.pagealloc.heap.gc.GcHeap;
import dev.pagealloc.heap.gc.Handle;
import dev.pagealloc.heap.gc.TypeLayout;
import java.util.function.Consumer;

/**
 * The tour's GC step: a heap's objects move out of the nursery, a pinned one stays, a large object gets
 * pages of its own and gives them back when it dies, and shutdown unmaps everything.
 */
final class GcTourStep {

    /** Prints the kernel's mappings of a range, with what to expect. */
    interface KernelView {
        void show(long start, long end, String expectation);
    }

    private final Consumer<String> heading;
    private final Consumer<String> say;
    private final KernelView kernel;

    GcTourStep(Consumer<String> heading, Consumer<String> say, KernelView kernel) {
        this.heading = heading;
        this.say = say;
        this.kernel = kernel;
    }

    void run() {
        heading.accept("GC heap: objects outside the Java heap, copied out of the nursery, pinned ones stay put");
        GcHeap heap = GcHeap.builder().withNurseryBytes(1 << 20).withOldGenerationLimitBytes(16 << 20).build();
        int pair = heap.registerType(new TypeLayout.Fixed("Pair", 16, 0, 8));
        int bytes = heap.registerType(new TypeLayout.PrimitiveArray("Bytes", 1));
        long movable = heap.allocate(pair);
        long pinned = heap.allocate(pair);
        heap.setReference(pinned, 0, movable);
        heap.pin(pinned);
        Handle handle = heap.newHandle(movable);
        long large = heap.allocateArray(bytes, 200_000);
        say.accept("a pair at " + Units.hex(movable) + ", a pinned pair at " + Units.hex(pinned)
                + " pointing to it, a 200000-byte array at " + Units.hex(large) + " (a large object)");
        kernel.show(large - 8, large + 200_000, "the large object's own mapping, rw-p");
        heap.collect(false);
        long moved = handle.get();
        say.accept("after a minor collection: the pair is at " + Units.hex(moved) + (moved != movable ? " (copied)"
                : " (NOT copied)") + ", the pinned pair still at " + Units.hex(pinned) + ", its reference now "
                + Units.hex(heap.getReference(pinned, 0)));
        heap.collect(true);
        say.accept("after a major collection the unreachable large object is gone: " + heap.statistics().largeObjects()
                + " large objects");
        kernel.show(large - 8, large + 200_000, "no mapping");
        say.accept("statistics: " + heap.statistics().toString().replace("\n", "; "));
        heap.close();
        say.accept("shut down: every region of the heap is unmapped");
    }
}
