package dev.pagealloc.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/**
 * Java threads that spin on arithmetic until closed: the "busy application" a shared arena's close
 * must handshake with. Their loop polls a volatile flag, so each reaches a safepoint poll on every
 * round, as running Java code does.
 *
 * <p>They also measure what the rest of the process costs them: {@link #report()} gives their rounds
 * per second and the CPU time the process spent outside them, so that work moved off a measured thread
 * onto another (a shared arena's close on the quarantine thread) shows as lost busy rounds or extra CPU.
 *
 * <p>Not thread-safe: start and close from one thread.
 */
final class BusyThreads implements AutoCloseable {
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;
    /** Keeps the loops' results alive so that the JIT cannot drop them. */
    private volatile long sink;
    private final LongAdder rounds = new LongAdder();
    private final long startNanos = System.nanoTime();
    private final long startProcessCpuNanos = processCpuNanos();
    private long busyCpuNanos;
    private long endNanos;
    private long endProcessCpuNanos;

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
        long n = 0;
        while (running) {
            x = x * 6364136223846793005L + 1442695040888963407L;
            n++;
        }
        sink = x;
        rounds.add(n);
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /**
     * Stops the threads and waits for them to end. An interrupt does not cut the wait short (a
     * spinning thread left behind would skew the next trial); it is kept as the thread's status.
     */
    @Override
    public void close() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        for (Thread thread : threads) {
            busyCpuNanos += Math.max(0, mx.getThreadCpuTime(thread.threadId()));
        }
        endProcessCpuNanos = processCpuNanos();
        endNanos = System.nanoTime();
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

    /**
     * {@return after {@link #close()}: the busy threads' rounds per second of wall time, and the CPU
     * the rest of the process used (the measured thread, the JIT, the GC, any helper thread), in CPUs}
     */
    String report() {
        double seconds = (endNanos - startNanos) / 1e9;
        double otherCpus = (endProcessCpuNanos - startProcessCpuNanos - busyCpuNanos) / 1e9 / seconds;
        return String.format(Locale.ROOT, "busy threads: %d, %.3g rounds/s in all; CPU outside them: %.2f CPUs"
                + " over %.1f s", threads.size(), rounds.sum() / seconds, otherCpus, seconds);
    }
}
