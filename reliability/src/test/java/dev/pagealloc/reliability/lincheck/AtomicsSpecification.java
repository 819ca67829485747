package dev.pagealloc.reliability.lincheck;

/**
 * The sequential model of {@link AtomicsLincheckTest}: an 8-byte and a 4-byte unsigned cell and a page
 * count, as WebAssembly's threads proposal defines the operations (results zero-extended, operands
 * wrapped to the width).
 */
public class AtomicsSpecification {
    private final long[] cells = new long[2];
    private long pages = 1;

    /** The memory as created: one page of zeros, three at most. */
    public AtomicsSpecification() {}

    private static long wrap(int cell, long value) {
        return cell == 0 ? value : value & 0xFFFF_FFFFL;
    }

    /**
     * {@return as {@link AtomicsLincheckTest#load(int)}}
     *
     * @param cell 0 or 1
     */
    public long load(int cell) {
        return cells[cell];
    }

    /**
     * As {@link AtomicsLincheckTest#store(int, long)}.
     *
     * @param cell 0 or 1
     * @param value the value
     */
    public void store(int cell, long value) {
        cells[cell] = wrap(cell, value);
    }

    /**
     * {@return as {@link AtomicsLincheckTest#add(int, long)}}
     *
     * @param cell 0 or 1
     * @param value the operand
     */
    public long add(int cell, long value) {
        long old = cells[cell];
        cells[cell] = wrap(cell, old + value);
        return old;
    }

    /**
     * {@return as {@link AtomicsLincheckTest#exchange(int, long)}}
     *
     * @param cell 0 or 1
     * @param value the new value
     */
    public long exchange(int cell, long value) {
        long old = cells[cell];
        cells[cell] = wrap(cell, value);
        return old;
    }

    /**
     * {@return as {@link AtomicsLincheckTest#compareExchange(int, long)}}
     *
     * @param cell 0 or 1
     * @param value the expected value
     */
    public long compareExchange(int cell, long value) {
        long old = cells[cell];
        if (old == wrap(cell, value)) {
            cells[cell] = wrap(cell, value + 1);
        }
        return old;
    }

    /** {@return as {@link AtomicsLincheckTest#grow()}} */
    public long grow() {
        if (pages == 3) {
            return -1;
        }
        return pages++;
    }
}
