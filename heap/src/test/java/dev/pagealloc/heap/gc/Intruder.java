package dev.pagealloc.heap.gc;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.function.Executable;

/** Runs a call on another thread, for the tests of a shadow stack's confinement to its own. */
final class Intruder {
    private Intruder() {}

    /**
     * {@return what {@code call} threw on a new platform thread named "intruder", or null if it returned}
     *
     * @throws Exception if the thread does not finish within 10 seconds
     */
    static Throwable thrownBy(Executable call) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try {
                call.execute();
                return null;
            } catch (Throwable t) {
                return t;
            }
        }, runnable -> Thread.ofPlatform().name("intruder").start(runnable)).get(10, TimeUnit.SECONDS);
    }
}
