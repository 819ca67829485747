package dev.pagealloc.wasm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code memory.atomic.wait32/64} and {@code notify}: results, timeouts, counts, ordering, bad input. */
class LinearMemoryWaitNotifyTest {
    private static final long LONG_NANOS = TimeUnit.SECONDS.toNanos(30);

    @Test
    void shouldReturnNotEqualAtOnceWhenTheValueDiffers() {
        try (LinearMemory memory = TestStorage.memory(1, 1, true)) {
            memory.storeI32(0, 1);
            assertEquals(1, memory.wait32(0, 0, -1));
            memory.storeI64(8, 5);
            assertEquals(1, memory.wait64(8, 4, -1));
        }
    }

    @Test
    void shouldTimeOutAfterTheTimeout() {
        try (LinearMemory memory = TestStorage.memory(1, 1, true)) {
            assertEquals(2, memory.wait32(0, 0, 0), "a zero timeout times out at once");
            long start = System.nanoTime();
            assertEquals(2, memory.wait64(0, 0, TimeUnit.MILLISECONDS.toNanos(50)));
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(50), "waited the timeout");
            assertEquals(0, memory.notify(0, -1), "a timed-out waiter left the queue");
        }
    }

    @Test
    void shouldWakeAtMostCountWaitersOldestFirst() throws Exception {
        try (LinearMemory memory = TestStorage.memory(1, 1, true);
                ExecutorService executor = Executors.newFixedThreadPool(3)) {
            List<Future<Integer>> waiters = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                waiters.add(executor.submit(() -> memory.wait32(64, 0, LONG_NANOS)));
                awaitWaiting(memory, 64, i + 1);
            }
            assertEquals(0, memory.notify(68, -1), "another address has no waiters");
            assertEquals(2, memory.notify(64, 2));
            assertEquals(0, (int) waiters.get(0).get());
            assertEquals(0, (int) waiters.get(1).get());
            assertEquals(1, memory.waiters().waiting(64));
            assertEquals(0, memory.notify(64, 0), "count 0 wakes none");
            assertEquals(1, memory.notify(64, -1), "count is unsigned: -1 is 2^32 - 1");
            assertEquals(0, (int) waiters.get(2).get());
        }
    }

    @Test
    void shouldNeverMissANotifyThatFollowsAStore() throws Exception {
        try (LinearMemory memory = TestStorage.memory(1, 1, true);
                ExecutorService executor = Executors.newFixedThreadPool(2)) {
            for (int round = 0; round < 2_000; round++) {
                memory.atomicStore(4, 0, 0);
                Future<Integer> waiter = executor.submit(() -> memory.wait32(0, 0, LONG_NANOS));
                Future<?> notifier = executor.submit(() -> {
                    memory.atomicStore(4, 0, 1);
                    return memory.notify(0, 1);
                });
                notifier.get();
                int result = waiter.get(LONG_NANOS, TimeUnit.NANOSECONDS);
                assertTrue(result == 0 || result == 1, "round " + round + ": waiter got " + result);
            }
        }
    }

    @Test
    void shouldLeaveTheQueueAndThrowWhenInterrupted() throws Exception {
        try (LinearMemory memory = TestStorage.memory(1, 1, true);
                ExecutorService executor = Executors.newSingleThreadExecutor()) {
            Thread[] waiterThread = new Thread[1];
            Future<Throwable> waiter = executor.submit(() -> {
                waiterThread[0] = Thread.currentThread();
                try {
                    memory.wait64(0, 0, -1);
                    return null;
                } catch (CancellationException e) {
                    return Thread.currentThread().isInterrupted() ? e : new AssertionError("interrupt lost");
                }
            });
            awaitWaiting(memory, 0, 1);
            waiterThread[0].interrupt();
            assertEquals(CancellationException.class, waiter.get().getClass());
            assertEquals(0, memory.notify(0, 1), "the interrupted waiter is not counted");
        }
    }

    @Test
    void shouldWakeEveryWaiterWhenTheMemoryIsClosed() throws Exception {
        LinearMemory memory = TestStorage.memory(1, 1, true);
        try (ExecutorService executor = Executors.newFixedThreadPool(2)) {
            Future<Integer> first = executor.submit(() -> memory.wait32(0, 0, -1));
            Future<Integer> second = executor.submit(() -> memory.wait64(8, 0, -1));
            awaitWaiting(memory, 0, 1);
            awaitWaiting(memory, 8, 1);
            memory.close();
            assertEquals(0, (int) first.get(LONG_NANOS, TimeUnit.NANOSECONDS));
            assertEquals(0, (int) second.get(LONG_NANOS, TimeUnit.NANOSECONDS));
        }
        LinearMemoryAccessTest.assertReleased(() -> memory.wait32(0, 0, -1));
    }

    @Test
    void shouldRefuseAWaitAfterCloseEvenWhileTheStorageKeepsTheOldViewWorking() {
        TestStorage storage = TestStorage.quarantining(new MemoryType(IndexType.I32, MemoryType.WASM_PAGE_BYTES, 1,
                1, true));
        LinearMemory memory = storage.memory();
        Waiters waiters = memory.waiters();
        memory.close();
        // The race a wait loses against close(): it passed its bounds check on a view that still works.
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> waiters.await(0, () -> true, -1));
        assertTrue(e.getMessage().startsWith("memory released"), e.getMessage());
        storage.closeArena();
    }

    @Test
    void shouldTrapWaitButNotNotifyOnAnUnsharedMemory() {
        try (LinearMemory memory = TestStorage.memory(1, 1, false)) {
            MemoryAccessTrap trap = assertThrows(MemoryAccessTrap.class, () -> memory.wait32(0, 0, 0));
            assertEquals(MemoryAccessTrap.Kind.UNSHARED_WAIT, trap.kind());
            assertTrue(trap.getMessage().startsWith("expected shared memory"), trap.getMessage());
            assertThrows(MemoryAccessTrap.class, () -> memory.wait64(0, 0, 0));
            assertEquals(0, memory.notify(0, 1));
            LinearMemoryAccessTest.assertTrap(() -> memory.wait32(1L << 16, 0, 0), 1L << 16, 4, 1L << 16);
        }
    }

    /**
     * The cases of wasmtime's {@code tests/misc_testsuite/threads/atomics_wait_address.wast} and
     * {@code atomics-end-of-memory.wast}: alignment is checked before bounds, and both before sharing.
     */
    @Test
    void shouldCheckAlignmentThenBoundsThenSharingAsWasmtimesThreadsTests() {
        long base = 0xFFFF_FFC0L; // i32.const -64
        try (LinearMemory unshared = TestStorage.memory(4, 4, false);
                LinearMemory shared = TestStorage.memory(1, 1, true)) {
            MemoryAccessTrap notifyTrap = assertThrows(MemoryAccessTrap.class,
                    () -> unshared.notify(unshared.effectiveAddress(base, 1), 0));
            assertEquals(MemoryAccessTrap.Kind.UNALIGNED_ATOMIC, notifyTrap.kind());
            assertEquals(MemoryAccessTrap.Kind.OUT_OF_BOUNDS, assertThrows(MemoryAccessTrap.class,
                    () -> unshared.notify(unshared.effectiveAddress(base, 65536), 0)).kind());
            assertEquals(MemoryAccessTrap.Kind.UNALIGNED_ATOMIC, assertThrows(MemoryAccessTrap.class,
                    () -> unshared.wait32(unshared.effectiveAddress(base, 1), 42, 0)).kind());
            assertEquals(MemoryAccessTrap.Kind.UNALIGNED_ATOMIC, assertThrows(MemoryAccessTrap.class,
                    () -> unshared.wait64(unshared.effectiveAddress(base, 3), 43, 0)).kind());
            assertEquals(MemoryAccessTrap.Kind.UNSHARED_WAIT, assertThrows(MemoryAccessTrap.class,
                    () -> unshared.wait32(0, 42, 0)).kind());
            assertEquals(MemoryAccessTrap.Kind.UNSHARED_WAIT, assertThrows(MemoryAccessTrap.class,
                    () -> unshared.wait64(0, 43, 0)).kind());

            assertEquals(0, shared.notify(65532, 0));
            assertEquals(2, shared.wait32(65532, 0, 0));
            assertEquals(2, shared.wait64(65528, 0, 0));
            assertEquals(1, shared.wait32(0, 42, -1), "expected differs: returns at once even with no timeout");
        }
    }

    private static void awaitWaiting(LinearMemory memory, long address, int count) throws InterruptedException {
        long deadline = System.nanoTime() + LONG_NANOS;
        while (memory.waiters().waiting(address) < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no waiter arrived at " + address);
            }
            Thread.sleep(1);
        }
    }
}
