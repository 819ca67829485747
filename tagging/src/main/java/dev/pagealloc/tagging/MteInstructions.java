package dev.pagealloc.tagging;

/**
 * The MTE tag instructions a {@link HardwareTagSpace} uses. {@link JitMteInstructions} runs them as generated
 * arm64 stubs; tests give a simulated CPU ({@code dev.pagealloc.testkit.sim.SimulatedMte}).
 *
 * @implSpec Implementations are thread-safe. Addresses are untagged unless named tagged; tags sit in bits
 *     59:56.
 */
public interface MteInstructions {

    /**
     * {@code IRG}: {@code address} with a random tag the thread's include mask allows and {@code excludeMask}
     * does not name (0 when none is left).
     *
     * @param address the address
     * @param excludeMask tags to exclude, bits 0..15
     * @return the tagged address
     */
    long irg(long address, long excludeMask);

    /**
     * {@code LDG}: {@code address} with the tag of its granule.
     *
     * @param address the address
     * @return the tagged address
     */
    long ldg(long address);

    /**
     * {@code STG}/{@code ST2G} over {@code byteLength} bytes: every granule from {@code taggedAddress} gets
     * its tag.
     *
     * @param taggedAddress the first granule, tagged
     * @param byteLength the length, in bytes; a positive multiple of 16
     */
    void setTags(long taggedAddress, long byteLength);
}
