package dev.pagealloc.spi;

/**
 * Hardware memory tagging (ARM MTE): the hook the tagging work fills. Today every platform answers it
 * absent, with what it detected: Linux reads {@code getauxval(AT_HWCAP2) & HWCAP2_MTE} on arm64 and
 * says "no MTE on x86-64" elsewhere.
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
}
