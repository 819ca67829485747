package dev.pagealloc.spi;

import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;

/**
 * A platform's answer to {@link VirtualMemory#feature(Class)}: the feature, or why it is absent.
 * Absence is an answer, not an error: callers branch on {@link #implementation()}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param type the feature asked for
 * @param implementation the feature, or empty when the platform has none
 * @param reason what backs it ({@link PlatformFeature#describe()}), or why it is absent
 * @param <F> the feature type
 */
public record FeatureAnswer<F extends PlatformFeature>(Class<F> type, Optional<F> implementation, String reason) {

    /** Checks that the implementation, if any, is of the type. */
    public FeatureAnswer {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(implementation, "implementation");
        Objects.requireNonNull(reason, "reason");
        implementation.ifPresent(type::cast);
    }

    /**
     * {@return an answer offering {@code implementation}}
     *
     * @param type the feature type
     * @param implementation the feature
     * @param <F> the feature type
     */
    public static <F extends PlatformFeature> FeatureAnswer<F> of(Class<F> type, F implementation) {
        return new FeatureAnswer<>(type, Optional.of(implementation), implementation.describe());
    }

    /**
     * {@return an answer saying the feature is absent, and why}
     *
     * @param type the feature type
     * @param reason why, in words (e.g. {@code no MTE on x86-64})
     * @param <F> the feature type
     */
    public static <F extends PlatformFeature> FeatureAnswer<F> absent(Class<F> type, String reason) {
        return new FeatureAnswer<>(type, Optional.empty(), reason);
    }

    /** {@return whether the platform offers the feature} */
    public boolean available() {
        return implementation.isPresent();
    }

    /**
     * {@return the feature}
     *
     * @throws NoSuchElementException if the feature is absent; the message gives the reason
     */
    public F orElseThrow() {
        return implementation.orElseThrow(() -> new NoSuchElementException(
                type.getSimpleName() + " is not available here: " + reason));
    }
}
