package dev.pagealloc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PageMathTest {

    @Test
    void shouldMultiplyOrRefuseWithTheValues() {
        assertEquals(65536L * 3, PageMath.bytes("op()", "pages", 3, 65536));
        assertEquals(0, PageMath.bytes("op()", "pages", 0, 65536));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PageMath.bytes("grow(additionalPages=1)", "maximumPages", 1L << 48, 65536));
        assertEquals("grow(additionalPages=1): maximumPages=281474976710656 pages of 65536 bytes overflows a long (max "
                + Long.MAX_VALUE + " bytes)", e.getMessage());
        assertEquals(Long.MAX_VALUE, PageMath.bytes("op()", "pages", Long.MAX_VALUE, 1));
    }

    @Test
    void shouldRoundUpOrRefuse() {
        assertEquals(0, PageMath.roundUp("op()", 0, 4096));
        assertEquals(4096, PageMath.roundUp("op()", 1, 4096));
        assertEquals(4096, PageMath.roundUp("op()", 4096, 4096));
        assertEquals(8192, PageMath.roundUp("op()", 4097, 4096));
        assertEquals(7, PageMath.roundUp("op()", 7, 1));
        assertEquals(Long.MAX_VALUE - 4095, PageMath.roundUp("op()", Long.MAX_VALUE - 4095, 4096));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PageMath.roundUp("allocate()", Long.MAX_VALUE - 4094, 4096));
        assertEquals("allocate(): " + (Long.MAX_VALUE - 4094) + " bytes rounded up to 4096 overflows a long",
                e.getMessage());
    }

    @Test
    void shouldAddOrRefuse() {
        assertEquals(5, PageMath.add("op()", "reservation bytes", 2, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PageMath.add("allocate()", "reservation bytes", Long.MAX_VALUE, 1));
        assertEquals("allocate(): reservation bytes " + Long.MAX_VALUE + " + 1 overflows a long", e.getMessage());
    }

    @Test
    void shouldTellAlignment() {
        assertTrue(PageMath.isAligned(0, 4096));
        assertTrue(PageMath.isAligned(8192, 4096));
        assertTrue(PageMath.isAligned(-4096, 4096));
        assertFalse(PageMath.isAligned(4095, 4096));
        assertFalse(PageMath.isAligned(-1, 4096));
        assertTrue(PageMath.isAligned(12345, 1));
    }
}
