package dev.pagealloc.api;

/**
 * The memory tags of one tagged range (a region, or a linear memory's index space): a 4-bit tag per
 * {@value #GRANULE_BYTES}-byte granule, and pointers that carry a tag in bits 56 to 59, where arm64's
 * top-byte-ignore and MTE put it (Arm ARM D8.8 "Memory Tagging Extension": the logical address tag is
 * bits [59:56]). An access through a pointer is allowed when the pointer's tag equals the tag of every
 * granule it touches.
 *
 * <p>How a layer tags its objects: on allocation {@link #tagNew(long, long)} gives the block a random
 * tag (from {@link MemoryTagging#includeMask()}, never the tag it had, never a neighbour's) and returns
 * the tagged pointer to hand out; accesses go through an accessor that calls
 * {@link #check(long, long, boolean)} (the software tagger's, or the CPU with MTE); on free
 * {@link #retag(long, long)} gives the block yet another tag, so every pointer handed out before the
 * free stops working. A pointer is a {@code long}: the address (or index) in bits 0 to 55, the tag in
 * 56 to 59, bits 60 to 63 ignored.
 *
 * <p>Without tagging ({@link MemoryTagging#NONE}) there is no tag space: asking for one is refused
 * with the region's applied tagging named. Tags are probabilistic protection, as on the hardware: with
 * {@code n} tags allowed, a pointer to a freed and since reallocated block matches again with
 * probability about {@code 1/(n-1)}; a stale pointer right after the free, and an overflow into the
 * neighbouring block, never match.
 *
 * @implSpec Implementations are thread-safe: tag changes are serialized, checks may run in any thread
 *     at the same time. Offsets and lengths of tag changes are multiples of {@value #GRANULE_BYTES}.
 */
public interface TagSpace {

    /** The tag granule, in bytes (MTE's: 16). */
    long GRANULE_BYTES = 16;

    /** The bit position of a pointer's tag. */
    int TAG_SHIFT = 56;

    /** The address bits of a pointer: everything below the top byte. */
    long ADDRESS_MASK = (1L << TAG_SHIFT) - 1;

    /** {@return the tagging in force: policy HARDWARE or SOFTWARE, the check mode and the include mask} */
    MemoryTagging tagging();

    /** {@return the address (or index) of byte offset 0: pointers are {@code baseAddress() + offset}, tagged} */
    long baseAddress();

    /** {@return the bytes whose tags this space holds, in bytes: a multiple of {@value #GRANULE_BYTES}} */
    long byteSize();

    /**
     * {@return the tag, 0 to 15, of the granule holding {@code byteOffset}}; 0 for granules never tagged
     *
     * @param byteOffset a byte offset in {@code [0, byteSize())}
     * @throws IndexOutOfBoundsException if {@code byteOffset} is outside {@code [0, byteSize())}
     */
    int tagAt(long byteOffset);

    /**
     * Sets the tag of every granule in {@code [byteOffset, byteOffset + byteLength)}.
     *
     * @param byteOffset the first byte; a multiple of {@value #GRANULE_BYTES}
     * @param byteLength the length, in bytes; a multiple of {@value #GRANULE_BYTES}, {@code >= 0}
     * @param tag the tag, 0 to 15
     * @throws IllegalArgumentException if an offset or length is misaligned or negative, or {@code tag} is
     *     outside 0..15
     * @throws IndexOutOfBoundsException if the range passes {@link #byteSize()}
     * @throws PageAllocatorException if the memory for the tags cannot be committed; no tag changed
     */
    void setTags(long byteOffset, long byteLength, int tag);

    /**
     * {@return a pointer to {@code byteOffset} carrying the current tag of its granule}
     *
     * @param byteOffset a byte offset in {@code [0, byteSize())}
     * @throws IndexOutOfBoundsException if {@code byteOffset} is outside {@code [0, byteSize())}
     */
    long pointer(long byteOffset);

    /**
     * Tags a new block: picks a random tag from the include mask that differs from the block's first
     * granule's current tag and from the tags of the granules just before and just after it (so a linear
     * overflow into a neighbour always mismatches), sets it on every granule of the block, and returns the
     * tagged pointer to its first byte.
     *
     * @param byteOffset the block's first byte; a multiple of {@value #GRANULE_BYTES}
     * @param byteLength the block's length, in bytes; a positive multiple of {@value #GRANULE_BYTES}
     * @return the tagged pointer to the block
     * @throws IllegalArgumentException if the range is misaligned or empty, or the include mask leaves no tag
     *     once those tags are excluded (the message names the mask and the excluded tags)
     * @throws IndexOutOfBoundsException if the range passes {@link #byteSize()}
     * @throws PageAllocatorException if the memory for the tags cannot be committed; no tag changed
     */
    long tagNew(long byteOffset, long byteLength);

    /**
     * Retags a block that is being freed: checks that {@code pointer} is the block's live pointer, then
     * gives every granule a tag different from the old one (and from the neighbours'), so every pointer with
     * the old tag fails its next check.
     *
     * @param pointer the block's tagged pointer, as {@link #tagNew(long, long)} returned it
     * @param byteLength the block's length, in bytes; a positive multiple of {@value #GRANULE_BYTES}
     * @return the new tagged pointer (for the allocator's own use: never hand it to the old owner)
     * @throws TagMismatchException if {@code pointer}'s tag is not the block's (a double or stale free);
     *     nothing changed
     * @throws IllegalArgumentException as {@link #tagNew(long, long)}
     * @throws IndexOutOfBoundsException if the range passes {@link #byteSize()}
     */
    long retag(long pointer, long byteLength);

    /**
     * Checks an access of {@code byteLength} bytes through {@code pointer} and returns its byte offset.
     * A mismatch in a mode that reports it at once ({@link MemoryTagging.TagCheckMode#synchronous(boolean)})
     * throws; otherwise it is recorded, the first one kept, for {@link #throwPendingMismatch()}, and the
     * offset returned as if it matched.
     *
     * @param pointer the tagged pointer
     * @param byteLength the access width, in bytes; {@code >= 1}
     * @param store {@code true} for a store, {@code false} for a load
     * @return the byte offset of the access, in {@code [0, byteSize() - byteLength]}
     * @throws TagMismatchException if the tags differ and the mode reports this access at once
     * @throws IndexOutOfBoundsException if the access is not within {@code [0, byteSize())}
     */
    long check(long pointer, long byteLength, boolean store);

    /**
     * Reports the first mismatch recorded by an asynchronous check since the last call, and forgets it (as
     * the kernel delivers an asynchronous MTE fault at the next entry to the kernel).
     *
     * @throws TagMismatchException the recorded mismatch, if there is one
     */
    void throwPendingMismatch();

    /**
     * {@return the tag of {@code pointer}, 0 to 15}
     *
     * @param pointer a tagged pointer
     */
    static int tagOf(long pointer) {
        return (int) (pointer >>> TAG_SHIFT) & 0xF;
    }

    /**
     * {@return the address (or index) of {@code pointer}, its top byte cleared}
     *
     * @param pointer a tagged pointer
     */
    static long addressOf(long pointer) {
        return pointer & ADDRESS_MASK;
    }

    /**
     * {@return {@code address} carrying {@code tag}}
     *
     * @param address an address below {@code 1L << 56}
     * @param tag the tag, 0 to 15
     * @throws IllegalArgumentException if {@code address} uses the top byte or {@code tag} is outside 0..15
     */
    static long withTag(long address, int tag) {
        if ((address & ~ADDRESS_MASK) != 0 || (tag & ~0xF) != 0) {
            throw new IllegalArgumentException("withTag(address=0x" + Long.toHexString(address) + ", tag=" + tag
                    + "): the address must fit in 56 bits and the tag in 0..15");
        }
        return address | (long) tag << TAG_SHIFT;
    }
}
