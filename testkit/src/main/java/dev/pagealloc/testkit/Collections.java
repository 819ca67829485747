package dev.pagealloc.testkit;

import java.time.Duration;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * Waiting on the Java garbage collector: what tests of "released once unreachable" need, since a collection only
 * makes references pending and another thread then processes them.
 */
public final class Collections {
    private static final long PAUSE_MILLIS = 20;

    private Collections() {}

    /**
     * Asks for a collection every 20 ms until {@code done} holds or {@code timeout} has passed.
     *
     * @param done the condition a collection should bring about (read after each pause)
     * @param timeout how long to go on, at most
     * @return whether {@code done} holds at the end
     * @throws InterruptedException if interrupted while pausing
     * @throws NullPointerException if an argument is null
     */
    public static boolean collectUntil(BooleanSupplier done, Duration timeout) throws InterruptedException {
        Objects.requireNonNull(done, "done");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(PAUSE_MILLIS);
        }
        return done.getAsBoolean();
    }
}
