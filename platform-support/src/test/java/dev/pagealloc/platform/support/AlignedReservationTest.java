package dev.pagealloc.platform.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pagealloc.spi.SystemCallException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AlignedReservationTest {
    private static final long PAGE = 0x1000;
    private static final long ALIGN = 0x10000;
    private final List<String> calls = new ArrayList<>();

    private long reserve(String failOn) throws SystemCallException {
        return AlignedReservation.reserve(4 * PAGE, ALIGN, PAGE, bytes -> {
            calls.add("reserve " + Long.toHexString(bytes));
            return 0x123000;
        }, (address, bytes) -> {
            calls.add("trim " + Long.toHexString(address) + "+" + Long.toHexString(bytes));
            if (failOn.equals(Long.toHexString(address))) {
                throw new SystemCallException("munmap", 12, "ENOMEM", "Cannot allocate memory");
            }
        }, (address, bytes, failure) -> calls.add("rollback " + Long.toHexString(address) + "+"
                + Long.toHexString(bytes)));
    }

    @Test
    void shouldTrimTheHeadAndTheTailAroundTheAlignedRange() throws SystemCallException {
        assertEquals(0x130000, reserve("none"));
        assertEquals(List.of("reserve 13000", "trim 123000+d000", "trim 134000+2000"), calls);
    }

    @Test
    void shouldRollBackOnlyWhatIsStillOwned() {
        SystemCallException head = assertThrows(SystemCallException.class, () -> reserve("123000"));
        assertEquals(List.of("reserve 13000", "trim 123000+d000", "rollback 123000+13000"), calls);
        calls.clear();
        SystemCallException tail = assertThrows(SystemCallException.class, () -> reserve("134000"));
        assertEquals(List.of("reserve 13000", "trim 123000+d000", "trim 134000+2000", "rollback 130000+6000"), calls);
        assertSame(SystemCallException.class, tail.getClass());
        assertSame(SystemCallException.class, head.getClass());
    }

    @Test
    void shouldMapNoSlackForPageAlignment() throws SystemCallException {
        assertEquals(0x123000, AlignedReservation.reserve(4 * PAGE, PAGE, PAGE, bytes -> {
            calls.add("reserve " + Long.toHexString(bytes));
            return 0x123000;
        }, (address, bytes) -> calls.add("trim"), (address, bytes, failure) -> calls.add("rollback")));
        assertEquals(List.of("reserve 4000"), calls);
    }
}
