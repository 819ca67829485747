package dev.pagealloc.api;

/**
 * Memory tagging for a region: every 16-byte granule carries a 4-bit tag that must match the tag in
 * the top byte of the pointer used to reach it, so a stale pointer (use after free) or one that ran
 * past its block (overflow into a neighbour) is caught. The tags live in the hardware (ARM MTE,
 * {@link TaggingPolicy#HARDWARE}) or in pagealloc's shadow memory, checked by the library's accessors
 * ({@link TaggingPolicy#SOFTWARE}); {@link TagSpace} sets and reads them.
 *
 * <p>Immutable and thread-safe.
 *
 * @param policy where the tags live; {@link TaggingPolicy#OFF} exactly when {@code mode} is
 *     {@link TagCheckMode#NONE}
 * @param mode how tag mismatches are reported; {@link TagCheckMode#NONE} turns tagging off
 * @param includeMask the tags random tag generation may choose, one bit per tag value 0 to 15 (the
 *     complement of the exclude mask: ARM's {@code GCR_EL1.Exclude}, Linux's {@code PR_MTE_TAG_MASK}
 *     is this include mask)
 */
public record MemoryTagging(TaggingPolicy policy, TagCheckMode mode, int includeMask) {

    /** Tag checking off. */
    public static final MemoryTagging NONE = new MemoryTagging(TaggingPolicy.OFF, TagCheckMode.NONE, 0);

    /** Every tag but 0: tag 0 is what untagged pointers carry, so fresh memory never matches a block's pointer. */
    public static final int DEFAULT_INCLUDE_MASK = 0xFFFE;

    /**
     * Checks the values.
     *
     * @throws IllegalArgumentException if {@code includeMask} has bits outside 0..0xFFFF, or a
     *     checking mode has an empty mask, or {@code policy} is {@link TaggingPolicy#OFF} and
     *     {@code mode} is not {@link TagCheckMode#NONE} (or the other way round)
     * @throws NullPointerException if {@code policy} or {@code mode} is null
     */
    public MemoryTagging {
        if (mode == null || policy == null) {
            throw new NullPointerException("MemoryTagging(" + (policy == null ? "" : "policy=" + policy + ", ")
                    + "mode=" + mode + ", includeMask=0x" + Integer.toHexString(includeMask) + "): "
                    + (mode == null ? "mode" : "policy") + " must not be null");
        }
        if ((includeMask & ~0xFFFF) != 0) {
            throw new IllegalArgumentException("MemoryTagging(includeMask=0x" + Integer.toHexString(includeMask)
                    + "): only bits 0..15 name tags");
        }
        if (mode != TagCheckMode.NONE && includeMask == 0) {
            throw new IllegalArgumentException("MemoryTagging(mode=" + mode + ", includeMask=0x0): no tag to choose");
        }
        if ((policy == TaggingPolicy.OFF) != (mode == TagCheckMode.NONE)) {
            throw new IllegalArgumentException("MemoryTagging(policy=" + policy + ", mode=" + mode
                    + "): policy OFF goes with mode NONE and only with it");
        }
    }

    /**
     * Hardware tagging (the meaning this record had before it had a policy), or {@link #NONE}'s policy
     * for mode {@link TagCheckMode#NONE}.
     *
     * @param mode how mismatches are reported
     * @param includeMask the tags random generation may choose, bits 0..15
     * @throws IllegalArgumentException as the canonical constructor
     * @throws NullPointerException if {@code mode} is null
     */
    public MemoryTagging(TagCheckMode mode, int includeMask) {
        this(mode == null ? null : mode == TagCheckMode.NONE ? TaggingPolicy.OFF : TaggingPolicy.HARDWARE, mode,
                includeMask);
    }

    /**
     * {@return hardware tagging in {@code mode} with every non-zero tag allowed}
     *
     * @param mode the check mode
     */
    public static MemoryTagging of(TagCheckMode mode) {
        return mode == TagCheckMode.NONE ? NONE : new MemoryTagging(TaggingPolicy.HARDWARE, mode, DEFAULT_INCLUDE_MASK);
    }

    /**
     * {@return tagging with {@code policy} in {@code mode}, every non-zero tag allowed}; {@link #NONE} for
     * {@link TaggingPolicy#OFF}
     *
     * @param policy where the tags live
     * @param mode the check mode; ignored for {@link TaggingPolicy#OFF}
     * @throws IllegalArgumentException if {@code mode} is {@link TagCheckMode#NONE} and the policy is not OFF
     * @throws NullPointerException if an argument is null
     */
    public static MemoryTagging of(TaggingPolicy policy, TagCheckMode mode) {
        if (policy == TaggingPolicy.OFF) {
            return NONE;
        }
        return new MemoryTagging(policy, mode, DEFAULT_INCLUDE_MASK);
    }

    /**
     * {@return this tagging with the tags in {@code excludeMask} never chosen}
     *
     * @param excludeMask tags to exclude, bits 0..15 (ARM's {@code GCR_EL1.Exclude} form)
     * @throws IllegalArgumentException if {@code excludeMask} has bits outside 0..0xFFFF, or excludes every tag
     *     this tagging could choose
     */
    public MemoryTagging excluding(int excludeMask) {
        if ((excludeMask & ~0xFFFF) != 0) {
            throw new IllegalArgumentException("excluding(excludeMask=0x" + Integer.toHexString(excludeMask)
                    + "): only bits 0..15 name tags");
        }
        return new MemoryTagging(policy, mode, includeMask & ~excludeMask);
    }

    /** {@return the tags random generation never chooses: the complement of {@link #includeMask()}, bits 0..15} */
    public int excludeMask() {
        return ~includeMask & 0xFFFF;
    }

    /** {@return whether tagging is on} */
    public boolean enabled() {
        return mode != TagCheckMode.NONE;
    }

    /** Where tags are kept and checked. */
    public enum TaggingPolicy {
        /** No tagging. */
        OFF,
        /**
         * ARM MTE: tags in the hardware's tag memory ({@code PROT_MTE} pages), checked by the CPU on every
         * access through a tagged pointer. Refused at build where the CPU has none (or downgraded to
         * {@link #OFF} with best effort).
         */
        HARDWARE,
        /**
         * A shadow byte per 16-byte granule in pagealloc memory, checked by the library's tagged accessors
         * (never by plain views or native code). Works everywhere.
         */
        SOFTWARE,
        /** {@link #HARDWARE} where the CPU has MTE, else {@link #SOFTWARE}; the region reports which it got. */
        BEST_AVAILABLE
    }

    /**
     * How a tag mismatch is reported (Linux {@code PR_MTE_TCF_*},
     * {@code Documentation/arch/arm64/memory-tagging-extension.rst}).
     */
    public enum TagCheckMode {
        /** No tagging. */
        NONE,
        /** The faulting access traps at once ({@code PR_MTE_TCF_SYNC}); the access does not happen. */
        SYNC,
        /**
         * A mismatch is recorded and reported later ({@code PR_MTE_TCF_ASYNC}: at the next entry to the
         * kernel); the access happens.
         */
        ASYNC,
        /**
         * Loads are checked synchronously and stores asynchronously (Armv8.7 {@code FEAT_MTE3}; Linux asks
         * for it with {@code PR_MTE_TCF_SYNC | PR_MTE_TCF_ASYNC} both set, where the kernel's preferred mode
         * for the CPU is asymmetric).
         */
        ASYMMETRIC;

        /**
         * {@return whether a mismatching access of this kind is reported at once (and not done)}
         *
         * @param store {@code true} for a store, {@code false} for a load
         */
        public boolean synchronous(boolean store) {
            return this == SYNC || (this == ASYMMETRIC && !store);
        }
    }
}
