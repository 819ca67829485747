package dev.pagealloc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pagealloc.api.AllocatorConfig;
import dev.pagealloc.api.KernelException;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The registry of live reservations follows allocate, a failed allocate, deallocate and a failed release. */
class LiveReservationsTest {
    private static final long P = 4096;

    private final FakeVirtualMemory memory = new FakeVirtualMemory();
    private final AllocatorConfig config = PageAllocator.builder().withPlatform("test-supported").withPageBytes(P)
            .build().config();
    private final PageAllocator allocator = new ReservingPageAllocator("fake", memory, config);

    private static Optional<LiveReservations.Range> at(Region region) {
        return LiveReservations.overlapping(region.address(), 1);
    }

    @Test
    void shouldHoldEachReservationFromAllocateUntilItIsReleased() {
        Region region = allocator.allocate(1, 2);
        long start = region.address() - region.guardBeforeBytes();
        LiveReservations.Range range = new LiveReservations.Range(start, start + region.reservedBytes());
        assertEquals(Optional.of(range), at(region));
        assertEquals(Optional.of(range), LiveReservations.overlapping(start - P, P + 1), "one byte is enough");
        assertEquals(Optional.empty(), LiveReservations.overlapping(start - P, P), "an edge is not an overlap");

        memory.failNext("release");
        assertThrows(KernelException.class, region::deallocate);
        assertEquals(Optional.of(range), at(region), "still mapped after a refused release");
        region.deallocate();
        assertEquals(Optional.empty(), LiveReservations.overlapping(start, region.reservedBytes()));
    }

    @Test
    void shouldForgetAReservationWhoseAllocationFailed() {
        int before = LiveReservations.count();
        memory.failNext("commit");
        assertThrows(KernelException.class, () -> allocator.allocate(1, 2));
        assertEquals(0, memory.liveReservations());
        assertEquals(before, LiveReservations.count());
        Region next = allocator.allocate(0, 1);
        long start = next.address() - next.guardBeforeBytes();
        assertEquals(Optional.of(new LiveReservations.Range(start, start + next.reservedBytes())), at(next));
        LiveReservations.forgetWithin(start, next.reservedBytes());
        assertEquals(Optional.empty(), at(next), "forgotten with the memory that held it");
        next.deallocate();
    }
}
