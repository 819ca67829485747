package dev.pagealloc.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Java threads that spin on arithmetic until closed: the "busy application" a shared arena's close
 * must handshake with. Their loop polls a volatile flag, so each reaches a safepoint poll on every
 * round, as running Java code does.
 *
 * <p>Not thread-safe: start and close from one thread.
 */
final class BusyThreads implements AutoCloseable {
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;
    /** Keeps the loops' results alive so that the JIT cannot drop them. */
    private volatile long sink;

    /**
     * Starts {@code count} spinning threads.
     *
     * @param count how many; {@code >= 0}
     */
    BusyThreads(int count) {
        if (count < 0) {
            throw new IllegalArgumentException("count=" + count + ": must not be negative");
        }
        for (int i = 0; i < count; i++) {
            Thread thread = Thread.ofPlatform().daemon().name("busy-" + i).start(this::spin);
            threads.add(thread);
        }
    }

    private void spin() {
        long x = Thread.currentThread().threadId();
        while (running) {
            x = x * 6364136223846793005L + 1442695040888963407L;
        }
        sink = x;
    }

    /**
     * Stops the threads and waits for them to end. An interrupt does not cut the wait short (a
     * spinning thread left behind would skew the next trial); it is kept as the thread's status.
     */
    @Override
    public void close() {
        running = false;
        boolean interrupted = false;
        for (Thread thread : threads) {
            while (thread.isAlive()) {
                try {
                    thread.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
