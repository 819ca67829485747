package dev.pagealloc.wasm;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * The wait queues of one shared memory: {@code memory.atomic.wait32/64} and {@code memory.atomic.notify}
 * of the threads proposal ({@code WebAssembly/threads}, {@code proposals/threads/Overview.md}, section
 * "Wait": 0 "ok" when woken, 1 "not-equal", 2 "timed-out", and no spurious wake-ups; notify returns how
 * many waiters it woke). Waiters queue per address in arrival order and a notify wakes the oldest
 * first, so no waiter starves.
 *
 * <p>One lock covers every address, as wasmtime's {@code ParkingSpot} does: waits and notifies are
 * rare next to loads and stores, and one lock makes the one ordering rule easy to keep. The rule: a
 * waiter compares the memory's value with the expected one <em>while holding the lock</em> and joins
 * the queue before releasing it, and a notifier takes the same lock; so a thread that stores and then
 * notifies either finds the waiter queued or made the waiter see the new value (return 1), never a
 * waiter that checked the old value and missed the notify. Thread-safe.
 */
final class Waiters {

    /** {@code wait} results, as the threads proposal numbers them. */
    static final int WOKEN = 0;
    static final int NOT_EQUAL = 1;
    static final int TIMED_OUT = 2;

    private final ReentrantLock lock = new ReentrantLock();
    private final Map<Long, ArrayDeque<Waiter>> queues = new HashMap<>();
    /** Set by {@link #wakeAll()} under the lock: no thread may start waiting afterwards. */
    private boolean closed;

    /** One waiting thread; {@code woken} is written and read under the lock. */
    private static final class Waiter {
        final Condition condition;
        boolean woken;

        Waiter(Condition condition) {
            this.condition = condition;
        }
    }

    /**
     * Waits at {@code address} if {@code equal} holds, checked under the lock.
     *
     * @param address the address, for the queue's key
     * @param equal whether the memory holds the expected value; may throw (a released memory), then
     *     nothing is queued
     * @param timeoutNanos the longest wait, in nanoseconds; negative: no limit
     * @return {@link #WOKEN}, {@link #NOT_EQUAL} or {@link #TIMED_OUT}
     * @throws CancellationException if the thread was interrupted while waiting: it has left the queue
     *     (no notify counts it) and its interrupt status is set again
     * @throws IllegalStateException if {@link #wakeAll()} ran (the memory was released): checked under the
     *     lock, so a wait racing with the release never blocks after it
     */
    int await(long address, BooleanSupplier equal, long timeoutNanos) {
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("memory released: wait(address=" + MemoryAccessTrap.hex(address)
                        + ") after close()");
            }
            if (!equal.getAsBoolean()) {
                return NOT_EQUAL;
            }
            if (timeoutNanos == 0) {
                return TIMED_OUT;
            }
            Waiter waiter = new Waiter(lock.newCondition());
            queues.computeIfAbsent(address, a -> new ArrayDeque<>()).addLast(waiter);
            long remainingNanos = timeoutNanos;
            try {
                while (!waiter.woken) {
                    if (timeoutNanos < 0) {
                        waiter.condition.await();
                    } else if (remainingNanos <= 0) {
                        leave(address, waiter);
                        return TIMED_OUT;
                    } else {
                        remainingNanos = waiter.condition.awaitNanos(remainingNanos);
                    }
                }
                return WOKEN;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (waiter.woken) {
                    return WOKEN; // the notify already counted this thread
                }
                leave(address, waiter);
                throw new CancellationException("wait(address=" + MemoryAccessTrap.hex(address)
                        + "): interrupted while waiting");
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Wakes up to {@code count} waiters at {@code address}, oldest first.
     *
     * @param address the address
     * @param count the most to wake, unsigned
     * @return how many were woken
     */
    int notify(long address, long count) {
        lock.lock();
        try {
            ArrayDeque<Waiter> queue = queues.get(address);
            int woken = 0;
            while (queue != null && !queue.isEmpty() && Long.compareUnsigned(woken, count) < 0) {
                Waiter waiter = queue.pollFirst();
                waiter.woken = true;
                waiter.condition.signal();
                woken++;
            }
            if (queue != null && queue.isEmpty()) {
                queues.remove(address);
            }
            return woken;
        } finally {
            lock.unlock();
        }
    }

    /** Wakes every waiter at every address and refuses later waits (the memory was released). */
    void wakeAll() {
        lock.lock();
        try {
            closed = true;
            for (ArrayDeque<Waiter> queue : queues.values()) {
                for (Waiter waiter : queue) {
                    waiter.woken = true;
                    waiter.condition.signal();
                }
            }
            queues.clear();
        } finally {
            lock.unlock();
        }
    }

    /** {@return how many threads wait at {@code address}}, for tests */
    int waiting(long address) {
        lock.lock();
        try {
            ArrayDeque<Waiter> queue = queues.get(address);
            return queue == null ? 0 : queue.size();
        } finally {
            lock.unlock();
        }
    }

    private void leave(long address, Waiter waiter) {
        ArrayDeque<Waiter> queue = queues.get(address);
        if (queue != null) {
            queue.remove(waiter);
            if (queue.isEmpty()) {
                queues.remove(address);
            }
        }
    }
}
