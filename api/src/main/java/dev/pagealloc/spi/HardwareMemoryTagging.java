package dev.pagealloc.spi;

/**
 * Hardware memory tagging (ARM MTE). Linux arm64 answers it where {@code getauxval(AT_HWCAP2) &
 * HWCAP2_MTE} is set (built and tested against a simulated kernel, never run on MTE hardware); every other
 * platform answers it absent with what it detected ("no MTE on x86-64").
 *
 * @implNote The calls an implementation will make on Linux: {@code prctl(PR_SET_TAGGED_ADDR_CTRL,
 *     PR_TAGGED_ADDR_ENABLE | PR_MTE_TCF_SYNC | (mask << PR_MTE_TAG_SHIFT))} per thread, {@code PROT_MTE}
 *     on anonymous or memfd mappings, and {@code irg}/{@code stg}/{@code ldg} for tags (see
 *     Documentation/arch/arm64/memory-tagging-extension.rst in the kernel).
 * @implSpec Implementations are thread-safe.
 */
public non-sealed interface HardwareMemoryTagging extends PlatformFeature {

    /** {@return the size of a tag granule, in bytes (16 for MTE)} */
    long tagGranuleBytes();

    /**
     * Maps tagged memory: makes committed pages {@code PROT_MTE}.
     *
     * @param address the first page
     * @param byteSize the length, in bytes
     * @throws SystemCallException if the OS refuses
     */
    void enableTags(long address, long byteSize) throws SystemCallException;

    /**
     * Turns tag checking on for the calling thread only, in {@code tagging}'s mode, and sets the tags
     * random generation may choose ({@code prctl(PR_SET_TAGGED_ADDR_CTRL)} on Linux). Threads that never
     * call it check nothing.
     *
     * @param tagging the check mode and include mask; mode {@code NONE} turns checks off
     * @throws SystemCallException if the OS refuses
     */
    void enableTagChecks(dev.pagealloc.api.MemoryTagging tagging) throws SystemCallException;
}
