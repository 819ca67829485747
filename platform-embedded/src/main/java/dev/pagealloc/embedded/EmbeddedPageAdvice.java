package dev.pagealloc.embedded;

import dev.pagealloc.api.Advice;
import dev.pagealloc.spi.PageAdvice;
import java.util.Optional;

/**
 * {@link PageAdvice} over the embedded buffer, in software: the buffer is the caller's memory, always
 * resident, and nothing can go back to a system, so {@code WILL_NEED}, {@code DONT_NEED} and
 * {@code PURGEABLE} (whose contracts allow the old bytes to stay), {@code REUSE} and the read-ahead hints
 * ({@code SEQUENTIAL}, {@code RANDOM}, {@code NORMAL}: nothing is read from anywhere) do nothing; advice
 * about core dumps and huge pages has no meaning for a buffer and is refused with that reason.
 *
 * <p>Stateless: thread-safe.
 */
final class EmbeddedPageAdvice implements PageAdvice {
    @Override
    public String describe() {
        return "in software: WILL_NEED, DONT_NEED, REUSE, PURGEABLE, SEQUENTIAL, RANDOM and NORMAL accepted and"
                + " nothing to do (the buffer stays resident)";
    }

    @Override
    public Optional<String> unsupported(Advice advice) {
        return switch (advice) {
            case WILL_NEED, DONT_NEED, REUSE, PURGEABLE, SEQUENTIAL, RANDOM, NORMAL -> Optional.empty();
            case DONT_DUMP, DO_DUMP, HUGE_PAGES, NO_HUGE_PAGES -> Optional.of("the embedded buffer is one block of"
                    + " the caller's memory: core dump and huge page advice needs an operating system's mappings");
        };
    }

    @Override
    public void advise(long address, long byteSize, Advice advice) {
        requireSupported(advice);
    }
}
