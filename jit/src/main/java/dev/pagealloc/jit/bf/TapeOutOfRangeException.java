package dev.pagealloc.jit.bf;

/**
 * A program moved the tape pointer (or a multiply loop would have reached a cell) outside the tape. Thrown
 * alike by the interpreter and by compiled code, which checks every move and returns to Java with an error
 * code instead of touching memory outside the tape. The tape holds the cells as they were when the
 * offending instruction started.
 */
public final class TapeOutOfRangeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The IR instruction's index in {@link BrainfuckProgram#instructions()}. */
    private final int instruction;
    /** Where the instruction's first command stands. */
    private final SourcePosition position;
    /** The tape's length, in cells. */
    private final long tapeCells;

    /**
     * Creates the exception.
     *
     * @param instruction the IR instruction's index
     * @param position where it stands in the source
     * @param tapeCells the tape's length, in cells
     */
    TapeOutOfRangeException(int instruction, SourcePosition position, long tapeCells) {
        super("tape access out of range at instruction " + instruction + " (source " + position + "): the tape has "
                + tapeCells + " cells, numbered 0 to " + (tapeCells - 1));
        this.instruction = instruction;
        this.position = position;
        this.tapeCells = tapeCells;
    }

    /** {@return the offending IR instruction's index in {@link BrainfuckProgram#instructions()}} */
    public int instruction() {
        return instruction;
    }

    /** {@return where the offending instruction's first command stands in the source} */
    public SourcePosition position() {
        return position;
    }

    /** {@return the tape's length, in cells} */
    public long tapeCells() {
        return tapeCells;
    }
}
