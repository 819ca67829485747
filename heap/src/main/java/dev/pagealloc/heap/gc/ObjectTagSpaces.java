package dev.pagealloc.heap.gc;

import dev.pagealloc.api.TagSpace;

/**
 * The seam through which a {@link GcHeap} in checked mode gets its tag memory: the heap asks for one
 * {@link TagSpace} per range it tags (its nursery, its old generation, each large object's region) and
 * closes it (when it is {@link AutoCloseable}) when the range goes. The software tagger of module
 * {@code dev.pagealloc.tagging} implements it ({@code GcObjectTagging}); so the heap does not depend on it.
 *
 * <p>The spaces' include masks must leave out tag 0, so that every pointer to a live object has a non-zero
 * top byte and an untagged address never passes for one.
 *
 * @implSpec Implementations are thread-safe; the spaces they return follow {@link TagSpace}'s contract.
 */
@FunctionalInterface
public interface ObjectTagSpaces {

    /**
     * {@return a tag space for {@code [baseAddress, baseAddress + byteSize)}, every granule tagged 0}
     *
     * @param baseAddress the range's first address; a multiple of {@value TagSpace#GRANULE_BYTES}
     * @param byteSize the range's length, in bytes; a positive multiple of {@value TagSpace#GRANULE_BYTES}
     * @throws dev.pagealloc.api.PageAllocatorException if the tag memory cannot be had; the heap then
     *     fails the call that needed it and changes nothing else
     */
    TagSpace open(long baseAddress, long byteSize);
}
