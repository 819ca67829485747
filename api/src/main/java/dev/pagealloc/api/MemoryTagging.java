package dev.pagealloc.api;

/**
 * Hardware memory tagging (ARM MTE) for a region: every 16-byte granule carries a 4-bit tag that
 * must match the pointer's tag.
 *
 * <p>Immutable and thread-safe.
 *
 * @param mode how tag mismatches are reported; {@link TagCheckMode#NONE} turns tagging off
 * @param includeMask the tags random tag generation may choose, one bit per tag value 0 to 15
 */
public record MemoryTagging(TagCheckMode mode, int includeMask) {

    /** Tag checking off. */
    public static final MemoryTagging NONE = new MemoryTagging(TagCheckMode.NONE, 0);

    /**
     * Checks the values.
     *
     * @throws IllegalArgumentException if {@code includeMask} has bits outside 0..0xFFFF, or a
     *     checking mode has an empty mask
     * @throws NullPointerException if {@code mode} is null
     */
    public MemoryTagging {
        if (mode == null) {
            throw new NullPointerException("MemoryTagging(mode=null, includeMask=0x" + Integer.toHexString(includeMask)
                    + "): mode must not be null");
        }
        if ((includeMask & ~0xFFFF) != 0) {
            throw new IllegalArgumentException("MemoryTagging(includeMask=0x" + Integer.toHexString(includeMask)
                    + "): only bits 0..15 name tags");
        }
        if (mode != TagCheckMode.NONE && includeMask == 0) {
            throw new IllegalArgumentException("MemoryTagging(mode=" + mode + ", includeMask=0x0): no tag to choose");
        }
    }

    /**
     * {@return tagging in {@code mode} with every non-zero tag allowed}
     *
     * @param mode the check mode
     */
    public static MemoryTagging of(TagCheckMode mode) {
        return mode == TagCheckMode.NONE ? NONE : new MemoryTagging(mode, 0xFFFE);
    }

    /** {@return whether tagging is on} */
    public boolean enabled() {
        return mode != TagCheckMode.NONE;
    }

    /** How the CPU reports a tag mismatch. */
    public enum TagCheckMode {
        /** No tagging. */
        NONE,
        /** The faulting instruction traps at once ({@code PR_MTE_TCF_SYNC}). */
        SYNC,
        /** A mismatch is recorded and reported later ({@code PR_MTE_TCF_ASYNC}). */
        ASYNC
    }
}
