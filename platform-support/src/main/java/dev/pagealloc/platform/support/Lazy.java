package dev.pagealloc.platform.support;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * A value computed once, on first use: a backend's capability probe, which must not run while an
 * allocator is built (it costs system calls, procfs reads and, on macOS and Windows, OSHI and JNA), but
 * only when the capabilities are asked for.
 *
 * <p>Thread-safe: the first {@link #get()} computes the value while other callers wait, then every call
 * returns it. If the computation throws, nothing is kept and the next call tries again.
 *
 * @param <T> the value's type
 */
public final class Lazy<T> implements Supplier<T> {
    private final Supplier<? extends T> compute;
    private volatile T value;

    private Lazy(Supplier<? extends T> compute) {
        this.compute = compute;
    }

    /**
     * {@return a value that {@code compute} makes on the first {@link #get()}}
     *
     * @param compute makes the value; must not return null
     * @param <T> the value's type
     * @throws NullPointerException if {@code compute} is null
     */
    public static <T> Lazy<T> of(Supplier<? extends T> compute) {
        return new Lazy<>(Objects.requireNonNull(compute, "compute"));
    }

    /**
     * {@return the value, computed now if this is the first call}
     *
     * @throws NullPointerException if the computation returned null
     * @throws RuntimeException whatever the computation threw
     */
    @Override
    public T get() {
        T known = value;
        if (known == null) {
            synchronized (this) {
                known = value;
                if (known == null) {
                    known = Objects.requireNonNull(compute.get(), "Lazy: the computation returned null");
                    value = known;
                }
            }
        }
        return known;
    }
}
