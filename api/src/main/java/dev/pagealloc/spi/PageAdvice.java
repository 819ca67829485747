package dev.pagealloc.spi;

import dev.pagealloc.api.Advice;
import java.util.Optional;

/**
 * Advice on committed pages ({@link Advice}): {@code madvise} and its counterparts.
 *
 * @implSpec Implementations are thread-safe.
 */
public non-sealed interface PageAdvice extends PlatformFeature {

    /**
     * {@return why this platform cannot follow {@code advice}, or empty if it can}
     *
     * @param advice the advice
     */
    Optional<String> unsupported(Advice advice);

    /**
     * Gives {@code advice} for committed pages.
     *
     * @param address the first page
     * @param byteSize the length, in bytes; a multiple of the page size
     * @param advice advice for which {@link #unsupported} is empty
     * @throws SystemCallException if the OS refuses; the pages keep their contents unless the advice
     *     drops them
     * @throws UnsupportedOperationException if {@link #unsupported} names a reason
     */
    void advise(long address, long byteSize, Advice advice) throws SystemCallException;

    /**
     * Throws what {@link #advise} promises for advice this platform cannot follow: implementations call
     * it first, so the SPI keeps its contract for callers other than pagealloc's shared layer (which
     * asks {@link #unsupported} itself, to name the operation).
     *
     * @param advice the advice about to be given
     * @throws UnsupportedOperationException if {@link #unsupported} names a reason
     */
    default void requireSupported(Advice advice) {
        unsupported(advice).ifPresent(reason -> {
            throw new UnsupportedOperationException("advise(" + advice + "): " + reason);
        });
    }
}
