package dev.pagealloc.internal;

import dev.pagealloc.spi.SystemCallException;
import dev.pagealloc.spi.VirtualMemory;
import java.util.Comparator;
import java.util.List;

/**
 * The reservation of a deallocated region whose shared views wait in a batch ({@link ViewArenas}):
 * what releasing it needs, and nothing that keeps the region or its allocator reachable.
 *
 * <p>Released once, by {@link #releaseAll}, after the arena of its views closed. Not thread-safe on
 * its own: {@link ViewArenas} hands each batch's list to one thread.
 */
final class QuarantinedReservation {
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

    /** {@return the reservation, guards included, in bytes} */
    long reservedBytes() {
        return reservationBytes;
    }

    /**
     * Releases the reservations of a closed batch. Reservations that
     * touch end to end are given back with one call where the backend allows it
     * ({@link VirtualMemory#releasesAdjacentReservations()}): top-down placement ({@code mmap} picks
     * the highest free gap, {@code vm_unmapped_area} in {@code mm/mmap.c}) puts successive one-region
     * reservations side by side, so a batch is mostly one run, and one {@code munmap} of 64 pages costs
     * a fraction of 64 calls, with one {@code mmap_lock} write section instead of 64.
     *
     * <p>A release that fails leaves the reservations it covered reserved, used by no one and never
     * reused (their views are closed, so nothing can fault), and counts one failure each; there is no
     * caller to tell. A failed {@code munmap} unmaps nothing: it fails only while splitting the
     * mappings at the range's ends, before any is unmapped ({@code do_munmap} in {@code mm/mmap.c}
     * up to Linux 6.0, which may leave a split behind; {@code do_vmi_align_munmap} since, whose error
     * path re-attaches what it detached since commit 606c812eb1d5, "Fix error path in
     * do_vmi_align_munmap()"; ENOMEM in {@code munmap(2)}).
     *
     * @param dead the reservations; the list is reordered
     */
    static void releaseAll(List<QuarantinedReservation> dead) {
        dead.sort(Comparator.comparingLong(r -> r.reservation));
        int start = 0;
        while (start < dead.size()) {
            QuarantinedReservation first = dead.get(start);
            int end = start + 1;
            long runEnd = first.reservation + first.reservationBytes;
            if (first.memory.releasesAdjacentReservations()) {
                while (end < dead.size() && dead.get(end).memory == first.memory
                        && dead.get(end).reservation == runEnd) {
                    runEnd += dead.get(end).reservationBytes;
                    end++;
                }
            }
            releaseRun(dead.subList(start, end), first.reservation, runEnd - first.reservation);
            start = end;
        }
    }

    private static void releaseRun(List<QuarantinedReservation> run, long address, long byteSize) {
        for (QuarantinedReservation region : run) {
            LiveReservations.remove(region.reservation);
        }
        try {
            // SAFETY: the arena of every view of these reservations is closed, no region owns them any
            // more, and they touch end to end, so the range covers nothing else.
            run.getFirst().memory.release(address, byteSize);
        } catch (SystemCallException e) {
            for (QuarantinedReservation region : run) {
                LiveReservations.add(region.reservation, region.reservationBytes);
                region.statistics.failures.increment();
            }
            return;
        }
        for (QuarantinedReservation region : run) {
            region.mappings.close();
            region.statistics.reserved(-region.reservationBytes, 0);
        }
    }
}
