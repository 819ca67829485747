package dev.pagealloc.wasm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MemoryTypeTest {

    private static void refused(String expectedFragment, Runnable build) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build::run);
        assertTrue(e.getMessage().contains(expectedFragment), e.getMessage());
    }

    @Test
    void shouldAcceptTheLimitsOfEachIndexTypeAndPageSize() {
        assertEquals(65536, MemoryType.i32(65536, 65536).maximumPages());
        assertEquals(1L << 32, new MemoryType(IndexType.I32, 1, 0, 1L << 32, false).maximumPages());
        assertEquals(1L << 48, MemoryType.i64(0, 1L << 48).maximumPages());
        assertEquals(Long.MAX_VALUE, new MemoryType(IndexType.I64, 1, 0, Long.MAX_VALUE, false).maximumPages());
        assertEquals(1L << 32, MemoryType.i32(0).maximumBytes());
        assertEquals(Long.MAX_VALUE, MemoryType.i64(0, -1).maximumBytes());
    }

    @Test
    void shouldAcceptMemoryZeroZero() {
        MemoryType empty = MemoryType.i32(0, 0);
        assertEquals(0, empty.minimumBytes());
        assertEquals(0, empty.maximumBytes());
    }

    @Test
    void shouldRefusePageSizesOtherThan65536And1() {
        refused("pageBytes must be 65536 or 1", () -> new MemoryType(IndexType.I32, 4096, 0, 1, false));
        refused("pageBytes must be 65536 or 1", () -> new MemoryType(IndexType.I32, 0, 0, 1, false));
    }

    @Test
    void shouldRefuseAMinimumAboveTheMaximum() {
        refused("minimumPages must not exceed maximumPages", () -> MemoryType.i32(2, 1));
    }

    @Test
    void shouldRefuseLimitsPastTheIndexTypesRange() {
        refused("minimumPages must be within [0, 65536], the I32 limit for 65536-byte pages",
                () -> MemoryType.i32(65537, -1));
        refused("maximumPages must be -1 (none) or within [0, 65536]", () -> MemoryType.i32(0, 65537));
        refused("maximumPages must be -1 (none) or within [0, 4294967296]",
                () -> new MemoryType(IndexType.I32, 1, 0, (1L << 32) + 1, false));
        refused("maximumPages must be -1 (none) or within [0, 281474976710656]",
                () -> MemoryType.i64(0, (1L << 48) + 1));
    }

    @Test
    void shouldRefuseNegativeLimits() {
        refused("minimumPages must be within", () -> MemoryType.i32(-1, 1));
        refused("maximumPages must be -1 (none)", () -> MemoryType.i32(0, -2));
    }

    @Test
    void shouldRefuseASharedMemoryWithoutMaximum() {
        refused("a shared memory must declare maximumPages",
                () -> new MemoryType(IndexType.I32, 65536, 1, -1, true));
    }

    @Test
    void shouldNameTheIndexTypeWhenNull() {
        NullPointerException e = assertThrows(NullPointerException.class,
                () -> new MemoryType(null, 65536, 0, 1, false));
        assertTrue(e.getMessage().contains("indexType=null"), e.getMessage());
    }

    @Test
    void shouldRefuseBadOptions() {
        refused("guardAfterBytes must be a non-negative multiple of 65536",
                () -> MemoryOptions.DEFAULT.withGuardBytes(0, 4096));
        refused("guardBeforeBytes must be a non-negative multiple of 65536",
                () -> MemoryOptions.DEFAULT.withGuardBytes(-65536, 0));
        refused("reservationLimitBytes must be a positive multiple of 65536",
                () -> MemoryOptions.DEFAULT.withReservationLimitBytes(0));
    }

    @Test
    void shouldReserveTheIndexSpaceForI32AndTheMaximumForI64ByDefault() {
        assertEquals(ReservationStrategy.INDEX_SPACE, MemoryOptions.DEFAULT.strategyFor(IndexType.I32));
        assertEquals(ReservationStrategy.MAXIMUM, MemoryOptions.DEFAULT.strategyFor(IndexType.I64));
        assertEquals(1L << 32, MemoryOptions.DEFAULT.reservedBytesFor(MemoryType.i32(1, 2)));
        MemoryOptions maximum = MemoryOptions.DEFAULT.withStrategy(ReservationStrategy.MAXIMUM);
        assertEquals(2 * 65536, maximum.reservedBytesFor(MemoryType.i32(1, 2)));
        assertEquals(65536, maximum.reservedBytesFor(MemoryType.i32(0, 0)));
        assertEquals(MemoryOptions.DEFAULT_RESERVATION_LIMIT_BYTES,
                MemoryOptions.DEFAULT.reservedBytesFor(MemoryType.i64(1, -1)));
    }
}
