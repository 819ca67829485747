package dev.pagealloc.tagging;

/**
 * The MTE tag instructions a {@link HardwareTagSpace} uses. {@link JitMteInstructions} runs them as generated
 * arm64 stubs; tests give a simulated CPU ({@code dev.pagealloc.testkit.sim.SimulatedMte}).
 *
 * <p>Each method's semantics is the instruction's in the Arm Architecture Reference Manual for A-profile
 * (DDI 0487), section C6.2 (its alphabetical list of A64 instructions, under the instruction's name), as Linux
 * sets it up ({@code Documentation/arch/arm64/memory-tagging-extension.rst}: the logical tag in bits 59:56 of an
 * address, the prctl include mask programmed into {@code GCR_EL1.Exclude} for IRG). {@code Arm64Mte} in module
 * {@code dev.pagealloc.jit} encodes them, tested bit for bit against LLVM's assembler.
 *
 * @implSpec Implementations are thread-safe. Addresses are untagged unless named tagged; tags sit in bits
 *     59:56.
 */
public interface MteInstructions {

    /**
     * {@code IRG} (Insert Random Tag, Arm ARM C6.2): {@code address} with a random tag the thread's include mask
     * allows and {@code excludeMask} does not name (0 when none is left: {@code GCR_EL1.Exclude} all ones, or all
     * excluded, gives tag 0).
     *
     * @param address the address
     * @param excludeMask tags to exclude, bits 0..15
     * @return the tagged address
     */
    long irg(long address, long excludeMask);

    /**
     * {@code LDG} (Load Allocation Tag, Arm ARM C6.2): {@code address} with the tag of its granule.
     *
     * @param address the address
     * @return the tagged address
     */
    long ldg(long address);

    /**
     * {@code STG}/{@code ST2G} (Store Allocation Tag, one or two granules, Arm ARM C6.2) over {@code byteLength}
     * bytes: every granule from {@code taggedAddress} gets its tag.
     *
     * @param taggedAddress the first granule, tagged
     * @param byteLength the length, in bytes; a positive multiple of 16
     */
    void setTags(long taggedAddress, long byteLength);
}
