package dev.pagealloc.jit.bf;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * A Brainfuck tape: {@link #cells()} 8-bit cells, all 0 at first, in a pagealloc region of their own. With
 * the allocator's guard regions (on by default) the pages before and after the tape are inaccessible, a
 * second line of defence behind the bounds checks that the interpreter and the generated code make on
 * every move.
 *
 * <p>Not thread-safe: a program runs on one thread, and the region's views belong to the thread that first
 * asks for them (see {@link Region}); use a tape from one thread at a time.
 */
public final class Tape implements AutoCloseable {
    /** The classic tape length, in cells. */
    public static final long DEFAULT_CELLS = 30_000;

    private final Region region;
    private final long cells;

    private Tape(Region region, long cells) {
        this.region = region;
        this.cells = cells;
    }

    /**
     * Allocates a tape of zero cells.
     *
     * @param allocator the allocator of the region; its page size rounds the region up, its guard setting
     *     decides whether guard regions surround it
     * @param cells the length, in cells (one byte each); {@code 1 <= cells <= Integer.MAX_VALUE}
     * @return the tape
     * @throws IllegalArgumentException if {@code cells} is out of range
     * @throws NullPointerException if {@code allocator} is null
     * @throws dev.pagealloc.api.PageAllocatorException as {@link PageAllocator#allocate(long, long)}; nothing
     *     stays allocated
     */
    public static Tape allocate(PageAllocator allocator, long cells) {
        Objects.requireNonNull(allocator, "allocator");
        if (cells < 1 || cells > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("Tape.allocate(cells=" + cells + "): must be in 1.."
                    + Integer.MAX_VALUE);
        }
        long pages = Math.ceilDiv(cells, allocator.pageBytes());
        return new Tape(allocator.allocate(pages, pages), cells);
    }

    /** {@return the length, in cells} */
    public long cells() {
        return cells;
    }

    /** {@return the region holding the cells, from its base; it may be longer than the tape} */
    public Region region() {
        return region;
    }

    /**
     * {@return the cells, {@link #cells()} bytes long}
     *
     * @throws IllegalStateException if the tape is closed
     * @throws WrongThreadException if another thread holds views of the region (see {@link Region})
     */
    public MemorySegment segment() {
        return region.segment(0, cells);
    }

    /**
     * {@return the value of one cell, in {@code 0..255}}
     *
     * @param index the cell, in {@code 0..cells()-1}
     * @throws IndexOutOfBoundsException if {@code index} is out of range
     * @throws IllegalStateException if the tape is closed
     */
    public int cell(long index) {
        return Byte.toUnsignedInt(segment().get(ValueLayout.JAVA_BYTE, index));
    }

    /**
     * Sets every cell to 0, for running another program on the same tape.
     *
     * @throws IllegalStateException if the tape is closed
     */
    public void clear() {
        segment().fill((byte) 0);
    }

    /** Releases the region; idempotent. */
    @Override
    public void close() {
        region.deallocate();
    }
}
