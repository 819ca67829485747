package dev.pagealloc.heap.gc;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The mutator fast paths' one segment: all of the address space, in the global scope, held in a
 * {@code static final} field so that C2 treats it as a constant and an access through it checks no arena
 * and no segment bounds (the technique of {@code LinearMemory}'s fast path). Every access through it is
 * first checked by the caller against plain {@code long} bounds taken from the heap's own bookkeeping:
 * the nursery's region, an old-generation block that is committed, a card of the committed old
 * generation. Those pages stay mapped while a mutator can reach them: collections, which decommit old
 * blocks, run only while every mutator is parked, and {@link GcHeap#close()} unmaps at once only when no
 * other attached thread can be inside a fast path (else it drops the pages and unmaps once the heap is
 * unreachable). Never handed out.
 */
final class AddressSpace {

    /** 8-byte words; the callers check alignment themselves, so no layout check is needed. */
    static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED;
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED;

    static final MemorySegment ALL = everything();

    private AddressSpace() {
    }

    @SuppressWarnings("restricted")
    private static MemorySegment everything() {
        // SAFETY: never handed out; every access through it is checked first against the heap's bounds of
        // pages it keeps mapped while a mutator can reach them (see the class comment).
        return MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    }
}
