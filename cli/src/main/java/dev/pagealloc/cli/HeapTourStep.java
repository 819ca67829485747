package dev.pagealloc.cli;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Units;
import dev.pagealloc.api.ViewQuarantine;
import dev.pagealloc.api.ViewSharing;
import dev.pagealloc.heap.manual.HeapArena;
import dev.pagealloc.heap.manual.HeapStatistics;
import dev.pagealloc.heap.manual.ManualHeap;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.Consumer;

/**
 * The tour's manual-heap step: malloc-style blocks in slabs and in pages of their own, misuse refused
 * from the heap's metadata, an arena freed at once, and close unmapping everything.
 */
final class HeapTourStep {
    private final Consumer<String> heading;
    private final Consumer<String> say;
    private final MapsPrinter kernel;

    HeapTourStep(Consumer<String> heading, Consumer<String> say, MapsPrinter kernel) {
        this.heading = heading;
        this.say = say;
        this.kernel = kernel;
    }

    void run() {
        heading.accept("manual heap: malloc and free on slabs of pages, misuse refused, an arena freed at once");
        PageAllocator pages = PageAllocator.builder().withViewSharing(ViewSharing.SHARED)
                .withViewQuarantine(ViewQuarantine.NONE).build();
        ManualHeap heap = ManualHeap.builder(pages).build();
        MemorySegment small = heap.allocate(100);
        MemorySegment large = heap.allocate(300_000);
        large.set(ValueLayout.JAVA_BYTE, 299_999, (byte) 1);
        say.accept("a 100-byte block at " + Units.hex(small.address()) + " (in a " + Units.bytes(heap.slabBytes())
                + " slab of 112-byte blocks), a 300000-byte block at " + Units.hex(large.address())
                + " (pages of its own)");
        kernel.show(large.address(), large.address() + large.byteSize(), "the large block's own mapping, rw-p");
        try {
            heap.free(small, 64);
        } catch (IllegalArgumentException e) {
            say.accept("free(block, 64) -> " + e.getMessage());
        }
        heap.free(small, 100);
        try {
            heap.free(small);
        } catch (IllegalArgumentException e) {
            say.accept("a second free -> " + e.getMessage());
        }
        MemorySegment name;
        try (HeapArena arena = heap.newArena()) {
            name = arena.allocateFrom("pagealloc");
            arena.allocateFrom(ValueLayout.JAVA_INT, new int[1000]);
            say.accept("an arena (a SegmentAllocator): a C string and 1000 ints, " + arena.allocatedBytes()
                    + " bytes, reads \"" + name.getString(0) + "\"");
        }
        try {
            name.get(ValueLayout.JAVA_BYTE, 0);
            say.accept("UNEXPECTED: the arena's segment still worked after its close");
        } catch (IllegalStateException e) {
            say.accept("after the arena's close its segments throw IllegalStateException: " + e.getMessage());
        }
        HeapStatistics stats = heap.statistics();
        say.accept("statistics: " + stats.liveBlocks() + " live blocks of " + stats.liveBytes() + " bytes, peak "
                + stats.peakLiveBytes() + " bytes, " + stats.allocations() + " allocations, " + stats.frees()
                + " frees, " + Units.bytes(stats.heldBytes()) + " of pages held");
        heap.close();
        say.accept("closed: every slab and large block is unmapped");
        kernel.show(large.address(), large.address() + large.byteSize(), "no mapping");
    }
}
