package dev.pagealloc.spi;

import dev.pagealloc.internal.LiveReservations;
import java.util.Optional;

/**
 * The reservations of every live pagealloc region in this JVM, as a provider that manages memory a
 * caller hands in (the embedded provider's static buffer) needs them: it refuses memory that lies in
 * one, because pagealloc may protect, decommit or release those pages at any time, and views made over
 * them would then fault, which is a JVM crash, not an exception. The shared layer records every
 * reservation; providers only ask, and forget the reservations inside memory they free.
 *
 * <p>Thread-safe. A query walks every live reservation: meant for rare checks such as opening a provider.
 */
public final class LiveRegions {
    private LiveRegions() {}

    /**
     * A reservation's address range.
     *
     * @param start the first address
     * @param end one past the last address
     */
    public record Range(long start, long end) {}

    /**
     * {@return a live reservation that shares a byte with {@code [address, address + byteSize)}, or empty
     * if none does}
     *
     * @param address the first address of the range
     * @param byteSize the range's size, in bytes; {@code address + byteSize} does not overflow
     */
    public static Optional<Range> overlapping(long address, long byteSize) {
        return LiveReservations.overlapping(address, byteSize).map(r -> new Range(r.start(), r.end()));
    }

    /**
     * Forgets every reservation inside {@code [address, address + byteSize)}: for a provider whose memory
     * is freed with regions still in it (the embedded provider's own buffer is freed once unreachable,
     * whether or not its regions were deallocated), so that stale entries do not make the next user of
     * those addresses look like a live region.
     *
     * <p><b>Restricted</b> (see {@link NativeAccess}): forgetting a live region would let a static buffer
     * over it be accepted, whose views then fault when pagealloc releases the region.
     *
     * @param address the first address of the memory being freed
     * @param byteSize its size, in bytes
     * @throws IllegalCallerException if the caller's module has no native access
     */
    public static void forgetWithin(long address, long byteSize) {
        NativeAccess.ensureCallerHasNativeAccess("LiveRegions.forgetWithin");
        LiveReservations.forgetWithin(address, byteSize);
    }
}
