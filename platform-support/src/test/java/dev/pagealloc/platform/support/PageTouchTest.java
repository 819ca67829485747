package dev.pagealloc.platform.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class PageTouchTest {

    @Test
    void shouldChangeNoByteOfThePagesItTouches() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pages = arena.allocate(4 * 4096, 4096);
            for (long i = 0; i < pages.byteSize(); i++) {
                pages.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + 7));
            }
            PageTouch.populate(pages.address(), pages.byteSize(), 4096);
            for (long i = 0; i < pages.byteSize(); i++) {
                assertEquals((byte) (i * 31 + 7), pages.get(ValueLayout.JAVA_BYTE, i), "byte " + i);
            }
        }
    }
}
