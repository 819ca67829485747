package dev.pagealloc.tagging;

import dev.pagealloc.api.MemoryTagging;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.heap.gc.GcHeapBuilder;
import dev.pagealloc.heap.gc.ObjectTagSpaces;
import java.util.Objects;

/**
 * The software tagger for a {@link dev.pagealloc.heap.gc.GcHeap}'s checked mode: pass
 * {@link #software(MemoryTagging)} to {@link GcHeapBuilder#withObjectTags(ObjectTagSpaces)} and every object
 * of the heap is tagged in a {@link SoftwareTagSpace} (a 4-bit tag per 16-byte granule in shadow memory, one
 * byte of shadow per granule, committed as tags are set: for the default heap's 8 MiB nursery and 256 MiB old
 * generation, at most 512 KiB and 16 MiB).
 *
 * <p>A mismatch is reported as the tagging's mode says: at once ({@link MemoryTagging.TagCheckMode#SYNC}) as
 * a {@link dev.pagealloc.api.TagMismatchException} from the heap call, or recorded for
 * {@link dev.pagealloc.api.TagSpace#throwPendingMismatch()} in an asynchronous mode (the heap's calls then go
 * on as if the tags matched, and its own checks still refuse an address that is no object).
 *
 * <p>Thread-safe. Makes no restricted call.
 */
public final class GcObjectTagging {
    private GcObjectTagging() {
    }

    /**
     * {@return object tag spaces of the software tagger with {@code tagging}'s mode and include mask}, their
     * shadow from {@link TagSpaces#defaultShadowAllocator()}
     *
     * @param tagging policy {@link MemoryTagging.TaggingPolicy#SOFTWARE}; its include mask must leave out tag 0
     *     (the default mask does)
     * @throws IllegalArgumentException if the policy is not SOFTWARE or the mask includes tag 0; the message
     *     names the value
     * @throws NullPointerException if {@code tagging} is null
     */
    public static ObjectTagSpaces software(MemoryTagging tagging) {
        return software(tagging, TagSpaces.defaultShadowAllocator());
    }

    /**
     * Same as {@link #software(MemoryTagging)} with the shadow from {@code shadowAllocator}.
     *
     * @param tagging policy SOFTWARE, tag 0 left out of the include mask
     * @param shadowAllocator an allocator with shared views ({@link dev.pagealloc.api.ViewSharing#SHARED})
     * @return the object tag spaces
     * @throws IllegalArgumentException if the policy is not SOFTWARE, the mask includes tag 0, or the shadow
     *     allocator's views are not shared
     * @throws NullPointerException if an argument is null
     */
    public static ObjectTagSpaces software(MemoryTagging tagging, PageAllocator shadowAllocator) {
        Objects.requireNonNull(tagging, "software(tagging=null): tagging must not be null");
        Objects.requireNonNull(shadowAllocator, "software(shadowAllocator=null): shadowAllocator must not be null");
        if (tagging.policy() != MemoryTagging.TaggingPolicy.SOFTWARE) {
            throw new IllegalArgumentException("GcObjectTagging.software(tagging=" + tagging
                    + "): the policy must be SOFTWARE");
        }
        if ((tagging.includeMask() & 1) != 0) {
            throw new IllegalArgumentException("GcObjectTagging.software(tagging.includeMask=0x"
                    + Integer.toHexString(tagging.includeMask()) + "): tag 0 must be left out (the heap hands out"
                    + " no pointer with tag 0, so an untagged address never matches a live object)");
        }
        if (shadowAllocator.config().viewSharing() != dev.pagealloc.api.ViewSharing.SHARED) {
            throw new IllegalArgumentException("GcObjectTagging.software(shadowAllocator.viewSharing="
                    + shadowAllocator.config().viewSharing() + "): the shadow is read from every thread; use SHARED");
        }
        return (baseAddress, byteSize) -> SoftwareTagSpace.create(shadowAllocator, tagging, baseAddress, byteSize);
    }
}
