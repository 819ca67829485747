package dev.pagealloc.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.pagealloc.api.MemoryBudget;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.spi.Backing;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Every failure of the embedded primitives leaves the page table as it was, and the shared layer
 * gives the budget back whatever the exception. The failure injected is the one the issue found: a
 * buffer confined to one thread, used by another ({@link WrongThreadException} from the JDK's
 * access check). The provider now refuses such buffers, so the page table is built over one
 * directly, as a stand-in for any failure of a buffer access.
 */
class EmbeddedFailureRollbackTest {
    private static final long PAGE = EmbeddedVirtualMemory.PAGE_BYTES;
    private static final int PAGES = 64;

    // Never closed: the page table's claim on these bytes lasts until it is garbage-collected, so
    // memory freed under it and reused by the next test's buffer would be refused as claimed.
    private final MemorySegment buffer = Arena.ofConfined().allocate(PAGES * PAGE, PAGE);
    private final EmbeddedVirtualMemory memory = new EmbeddedVirtualMemory(buffer, false);
    private final long base = buffer.address();
    private final Backing backing = Backing.DEFAULT;

    /** Runs {@code step} on a new thread and returns what it threw. */
    private static Throwable failureOnAnotherThread(ThrowingRunnable step) throws InterruptedException {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread thread = Thread.ofPlatform().start(() -> {
            try {
                step.run();
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        thread.join();
        assertNotNull(thrown.get(), "the step should have failed on a thread that cannot use the buffer");
        return thrown.get();
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    private List<EmbeddedVirtualMemory.Run> table() {
        return memory.runs(base, PAGES * PAGE);
    }

    private EmbeddedVirtualMemory.Run run(long fromPage, long toPage, EmbeddedVirtualMemory.PageState state) {
        return new EmbeddedVirtualMemory.Run(base + fromPage * PAGE, base + toPage * PAGE, state);
    }

    @Test
    void shouldLeaveNothingReservedWhenReserveFails() throws Exception {
        Throwable failure = failureOnAnotherThread(() -> memory.reserve(8 * PAGE, PAGE, backing));
        assertInstanceOf(WrongThreadException.class, failure);
        assertEquals(0, memory.reservationCount());
        assertEquals(List.of(), table());
        assertEquals(base, memory.reserve(8 * PAGE, PAGE, backing), "the whole buffer is still free");
    }

    @Test
    void shouldLeaveTheTableAsItWasWhenCommitProtectDecommitOrDiscardFails() throws Exception {
        long reservation = memory.reserve(8 * PAGE, PAGE, backing);
        memory.commit(reservation, 4 * PAGE, backing);
        memory.protect(reservation + 3 * PAGE, PAGE, Protection.NONE);
        List<EmbeddedVirtualMemory.Run> before = List.of(
                run(0, 3, EmbeddedVirtualMemory.PageState.READ_WRITE),
                run(3, 4, EmbeddedVirtualMemory.PageState.NONE),
                run(4, 8, EmbeddedVirtualMemory.PageState.RESERVED));
        assertEquals(before, table());

        failureOnAnotherThread(() -> memory.commit(reservation + 4 * PAGE, 2 * PAGE, backing));
        assertEquals(before, table());
        failureOnAnotherThread(() -> memory.protect(reservation, 2 * PAGE, Protection.NONE));
        assertEquals(before, table());
        failureOnAnotherThread(() -> memory.decommit(reservation, 2 * PAGE, backing));
        assertEquals(before, table());
        failureOnAnotherThread(() -> memory.discard(reservation, 4 * PAGE, backing));
        assertEquals(before, table());
        assertEquals(OptionalLong.empty(), memory.verifyGuards(reservation, 8 * PAGE),
                "canaries and the NONE page's contents are intact");

        memory.release(reservation, 8 * PAGE);
        assertEquals(List.of(), table());
    }

    @Test
    void shouldRefundTheBudgetAndFreeTheReservationWhateverTheBackendThrows() throws Exception {
        MemoryBudget budget = MemoryBudget.of("rollback", 16 * PAGE);
        PageAllocator allocator = PageAllocator.builder().withProvider(new FixedProvider("embedded", memory))
                .withPageBytes(PAGE).withGuardPages(false).withBudget(budget).build();
        Region region = allocator.allocate(1, 4);
        assertEquals(PAGE, budget.usedBytes());

        assertInstanceOf(WrongThreadException.class, failureOnAnotherThread(() -> region.grow(1)));
        assertEquals(PAGE, budget.usedBytes(), "the failed grow's charge is refunded");
        assertEquals(1, region.pages());
        assertEquals(List.of(run(0, 1, EmbeddedVirtualMemory.PageState.READ_WRITE),
                run(1, 4, EmbeddedVirtualMemory.PageState.RESERVED)), table());

        assertInstanceOf(WrongThreadException.class, failureOnAnotherThread(() -> allocator.allocate(1, 1)));
        assertEquals(1, memory.reservationCount(), "the failed allocate left no reservation");
        assertEquals(PAGE, budget.usedBytes());

        assertEquals(1, region.grow(1));
        assertEquals(2 * PAGE, budget.usedBytes());
        region.deallocate();
        assertEquals(0, budget.usedBytes());
        assertEquals(List.of(), table());
    }
}
