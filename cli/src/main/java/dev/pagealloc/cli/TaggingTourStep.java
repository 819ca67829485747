package dev.pagealloc.cli;

import dev.pagealloc.api.MemoryTagging.TagCheckMode;
import dev.pagealloc.api.MemoryTagging.TaggingPolicy;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.TagMismatchException;
import dev.pagealloc.api.Units;
import dev.pagealloc.api.ViewSharing;
import dev.pagealloc.tagging.TaggedManualHeap;
import java.util.function.Consumer;

/**
 * The tour's tagging step: the software tagger (a 4-bit tag per 16-byte granule) catching a use after
 * free and an overflow into the neighbouring block of a manual heap.
 */
final class TaggingTourStep {
    private final Consumer<String> heading;
    private final Consumer<String> say;

    TaggingTourStep(Consumer<String> heading, Consumer<String> say) {
        this.heading = heading;
        this.say = say;
    }

    void run() {
        heading.accept("memory tagging (software): a tag per 16-byte granule catches use after free and overflow");
        PageAllocator pages = PageAllocator.builder().withViewSharing(ViewSharing.SHARED)
                .withMemoryTagging(TaggingPolicy.SOFTWARE, TagCheckMode.SYNC).build();
        try (TaggedManualHeap heap = TaggedManualHeap.create(pages)) {
            long first = heap.allocate(32);
            long second = heap.allocate(32);
            heap.setLong(first, 42);
            say.accept("two 32-byte blocks, tagged pointers " + Units.hex(first) + " and " + Units.hex(second)
                    + " (the tag is in bits 56-59); the first reads " + heap.getLong(first));
            try {
                heap.setLong(first + 32, 1);
                say.accept("UNEXPECTED: a write past the first block reached its neighbour");
            } catch (TagMismatchException e) {
                say.accept("writing 8 bytes past the first block -> " + e.getMessage());
            }
            heap.free(first);
            try {
                heap.getLong(first);
                say.accept("UNEXPECTED: a freed block was read through its old pointer");
            } catch (TagMismatchException e) {
                say.accept("reading the freed block -> " + e.getMessage());
            }
            heap.free(second);
        }
    }
}
