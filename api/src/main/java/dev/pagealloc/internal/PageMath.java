package dev.pagealloc.internal;

/**
 * Overflow-checked page arithmetic. Every failure is an {@link IllegalArgumentException} naming
 * the operation and the values, never a wrapped-around size.
 */
public final class PageMath {
    private PageMath() {}

    /**
     * {@return {@code pages * unitBytes}}
     *
     * @param operation the operation, for the message
     * @param argument the argument name of {@code pages}
     * @param pages a page count
     * @param unitBytes bytes per page
     * @throws IllegalArgumentException if the product overflows {@code long}
     */
    public static long bytes(Object operation, String argument, long pages, long unitBytes) {
        try {
            return Math.multiplyExact(pages, unitBytes);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(operation + ": " + argument + "=" + pages + " pages of " + unitBytes
                    + " bytes overflows a long (max " + Long.MAX_VALUE + " bytes)");
        }
    }

    /**
     * {@return {@code byteCount} rounded up to a multiple of {@code alignment}}
     *
     * @param operation the operation, for the message
     * @param byteCount a non-negative byte count
     * @param alignment a power of two
     * @throws IllegalArgumentException if the result overflows {@code long}
     */
    public static long roundUp(Object operation, long byteCount, long alignment) {
        long mask = alignment - 1;
        if (byteCount > Long.MAX_VALUE - mask) {
            throw new IllegalArgumentException(operation + ": " + byteCount + " bytes rounded up to " + alignment
                    + " overflows a long");
        }
        return (byteCount + mask) & ~mask;
    }

    /**
     * {@return {@code a + b}}
     *
     * @param operation the operation, for the message
     * @param what what is being summed, for the message
     * @param a a non-negative size
     * @param b a non-negative size
     * @throws IllegalArgumentException if the sum overflows {@code long}
     */
    public static long add(Object operation, String what, long a, long b) {
        try {
            return Math.addExact(a, b);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(operation + ": " + what + " " + a + " + " + b + " overflows a long");
        }
    }

    /**
     * {@return whether {@code value} is a multiple of {@code alignment}}
     *
     * @param value a value
     * @param alignment a power of two
     */
    public static boolean isAligned(long value, long alignment) {
        return (value & (alignment - 1)) == 0;
    }
}
