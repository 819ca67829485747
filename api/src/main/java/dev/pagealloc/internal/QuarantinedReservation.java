package dev.pagealloc.internal;

import dev.pagealloc.spi.SystemCallException;
import dev.pagealloc.spi.VirtualMemory;

/**
 * The reservation of a deallocated region whose shared views wait in a batch ({@link ViewArenas}):
 * what releasing it needs, and nothing that keeps the region or its allocator reachable.
 *
 * <p>Released once, under the {@link ViewArenas} monitor, after the arena of its views closed.
 */
final class QuarantinedReservation implements ViewArenas.Quarantined {
    private final VirtualMemory memory;
    private final long reservation;
    private final long reservationBytes;
    private final MappingGuard.Account mappings;
    private final StatisticsCounters statistics;

    QuarantinedReservation(VirtualMemory memory, long reservation, long reservationBytes,
            MappingGuard.Account mappings, StatisticsCounters statistics) {
        this.memory = memory;
        this.reservation = reservation;
        this.reservationBytes = reservationBytes;
        this.mappings = mappings;
        this.statistics = statistics;
    }

    @Override
    public long reservedBytes() {
        return reservationBytes;
    }

    @Override
    public void releaseQuarantined() {
        LiveReservations.remove(reservation);
        try {
            // SAFETY: the arena of every view of this reservation is closed, and no region owns it any more.
            memory.release(reservation, reservationBytes);
        } catch (SystemCallException e) {
            // No caller to tell: the range stays reserved and is never reused; the failure is counted.
            LiveReservations.add(reservation, reservationBytes);
            statistics.failures.increment();
            return;
        }
        mappings.close();
        statistics.reserved(-reservationBytes, 0);
    }
}
