package dev.pagealloc.heap.manual;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.ViewQuarantine;
import dev.pagealloc.api.ViewSharing;

/** The allocator the tests build heaps on: shared views, released at once so the kernel's view is current. */
final class Heaps {
    static final PageAllocator PAGES = PageAllocator.builder()
            .withViewSharing(ViewSharing.SHARED)
            .withViewQuarantine(ViewQuarantine.NONE)
            .build();

    private Heaps() {
    }

    static ManualHeap.Builder builder() {
        return ManualHeap.builder(PAGES);
    }
}
