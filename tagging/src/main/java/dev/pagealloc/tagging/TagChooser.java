package dev.pagealloc.tagging;

import java.util.random.RandomGenerator;

/**
 * Random tag generation as ARM's {@code IRG} does it: uniformly among the tags of the include mask that
 * are not excluded (Arm ARM C6.2 "IRG": the tag is chosen from those not set in {@code GCR_EL1.Exclude}
 * and the instruction's exclude register).
 */
final class TagChooser {
    private TagChooser() {
    }

    /**
     * {@return a tag from {@code includeMask & ~excludeMask}, uniformly}
     *
     * @param includeMask the tags allowed, bits 0..15
     * @param excludeMask the tags to avoid this time, bits 0..15
     * @param random the source of randomness
     * @throws IllegalArgumentException if no tag is left, naming both masks
     */
    static int choose(int includeMask, int excludeMask, RandomGenerator random) {
        int candidates = includeMask & ~excludeMask & 0xFFFF;
        int count = Integer.bitCount(candidates);
        if (count == 0) {
            throw new IllegalArgumentException("tag(includeMask=0x" + Integer.toHexString(includeMask)
                    + ", excluded=0x" + Integer.toHexString(excludeMask)
                    + "): no tag left to choose; allow more tags in MemoryTagging.includeMask");
        }
        int skip = random.nextInt(count);
        for (int i = 0; i < skip; i++) {
            candidates &= candidates - 1; // drop the lowest set bit
        }
        return Integer.numberOfTrailingZeros(candidates);
    }
}
