package dev.pagealloc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.pagealloc.spi.SystemCallException;
import dev.pagealloc.spi.VirtualMemory;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.mockito.InOrder;

/**
 * How a closed batch's reservations are given back: one release per run of reservations that touch
 * end to end where the backend allows it, one per reservation where it does not, and the accounting
 * of each outcome.
 */
class QuarantinedReservationTest {
    private static final long PAGE = 4096;
    /** Far from any real mapping: these tests never touch memory. */
    private static final long BASE = 0x7000_0000_0000L;

    private final StatisticsCounters statistics = new StatisticsCounters();

    private List<QuarantinedReservation> reservations(VirtualMemory memory, long... pageOffsets) {
        MappingGuard guard = MappingGuard.of(memory, OptionalLong.empty(), new LongAdder());
        List<QuarantinedReservation> dead = new ArrayList<>();
        for (long offset : pageOffsets) {
            long address = BASE + offset * PAGE;
            LiveReservations.add(address, PAGE);
            statistics.reserved(PAGE, 0);
            dead.add(new QuarantinedReservation(memory, address, PAGE, guard.account(), statistics));
        }
        return dead;
    }

    private static VirtualMemory memory(boolean adjacentAtOnce) {
        VirtualMemory memory = mock(VirtualMemory.class);
        when(memory.releasesAdjacentReservations()).thenReturn(adjacentAtOnce);
        when(memory.mappingLimit()).thenReturn(OptionalLong.empty());
        return memory;
    }

    @Test
    void shouldReleaseEachRunOfAdjacentReservationsWithOneCall() throws SystemCallException {
        VirtualMemory memory = memory(true);
        // Made top-down, as mmap places them: 5, 4, 3 touch; 1 stands alone; 7, 8 touch.
        List<QuarantinedReservation> dead = reservations(memory, 5, 4, 3, 1, 8, 7);

        QuarantinedReservation.releaseAll(dead);

        InOrder calls = inOrder(memory);
        calls.verify(memory).release(BASE + PAGE, PAGE);
        calls.verify(memory).release(BASE + 3 * PAGE, 3 * PAGE);
        calls.verify(memory).release(BASE + 7 * PAGE, 2 * PAGE);
        calls.verifyNoMoreInteractions();
        assertEquals(0, statistics.snapshot().reservedBytes());
        assertEquals(0, statistics.snapshot().failures());
        assertEquals(Optional.empty(), LiveReservations.overlapping(BASE, 9 * PAGE), "none is live any more");
    }

    @Test
    void shouldReleaseReservationsOneByOneWhereTheBackendReleasesOnlyWholeReservations() throws SystemCallException {
        VirtualMemory memory = memory(false);
        QuarantinedReservation.releaseAll(reservations(memory, 2, 1, 0));

        for (long page = 0; page < 3; page++) {
            verify(memory).release(BASE + page * PAGE, PAGE);
        }
        verify(memory, never()).release(BASE, 3 * PAGE);
        assertEquals(0, statistics.snapshot().reservedBytes());
    }

    @Test
    void shouldKeepEveryReservationOfARefusedRunReservedAndCountOneFailureEach() throws SystemCallException {
        VirtualMemory memory = memory(true);
        doThrow(new SystemCallException("munmap(...)", 12, "ENOMEM", "Cannot allocate memory"))
                .when(memory).release(BASE + 10 * PAGE, 2 * PAGE);

        QuarantinedReservation.releaseAll(reservations(memory, 11, 10, 20));

        verify(memory).release(BASE + 20 * PAGE, PAGE);
        verify(memory, never()).release(BASE + 10 * PAGE, PAGE);
        verify(memory, never()).release(BASE + 11 * PAGE, PAGE);
        assertEquals(2 * PAGE, statistics.snapshot().reservedBytes(), "the refused run stays reserved");
        assertEquals(2, statistics.snapshot().failures());
        assertEquals(Optional.of(new LiveReservations.Range(BASE + 10 * PAGE, BASE + 11 * PAGE)),
                LiveReservations.overlapping(BASE + 10 * PAGE, PAGE), "and known as live, so no one takes it");
        assertEquals(Optional.of(new LiveReservations.Range(BASE + 11 * PAGE, BASE + 12 * PAGE)),
                LiveReservations.overlapping(BASE + 11 * PAGE, PAGE));
        assertEquals(Optional.empty(), LiveReservations.overlapping(BASE + 20 * PAGE, PAGE));
        LiveReservations.remove(BASE + 10 * PAGE);
        LiveReservations.remove(BASE + 11 * PAGE);
    }
}
