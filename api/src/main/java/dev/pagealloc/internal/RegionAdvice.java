package dev.pagealloc.internal;

import dev.pagealloc.api.Advice;
import dev.pagealloc.api.KernelException;
import dev.pagealloc.spi.FeatureAnswer;
import dev.pagealloc.spi.PageAdvice;
import dev.pagealloc.spi.SystemCallException;
import dev.pagealloc.spi.VirtualMemory;
import java.util.function.Function;

/**
 * {@link dev.pagealloc.api.Region#advise}: the platform's {@link PageAdvice}, or a refusal naming why it
 * cannot follow the advice. Kept apart from the region's state machine: advice changes no state the
 * region records (protections, commitment, views).
 *
 * <p>Stateless: thread-safe.
 */
final class RegionAdvice {
    private RegionAdvice() {}

    /**
     * Gives {@code advice} for {@code [address, +byteSize)}, already checked to lie in the committed range.
     *
     * @throws UnsupportedOperationException if the platform has no page advice, or not this one
     * @throws KernelException (from {@code failure}) if the kernel refuses
     */
    static void advise(VirtualMemory memory, Operation operation, long address, long byteSize, Advice advice,
            Function<SystemCallException, KernelException> failure) {
        FeatureAnswer<PageAdvice> answer = memory.feature(PageAdvice.class);
        PageAdvice pageAdvice = answer.implementation().orElseThrow(() -> new UnsupportedOperationException(
                operation + ": this platform gives no page advice: " + answer.reason()));
        pageAdvice.unsupported(advice).ifPresent(reason -> {
            throw new UnsupportedOperationException(operation + ": this platform cannot follow " + advice + ": "
                    + reason);
        });
        try {
            pageAdvice.advise(address, byteSize, advice);
        } catch (SystemCallException e) {
            throw failure.apply(e);
        }
    }
}
