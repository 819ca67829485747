package dev.pagealloc.jit.bf;

/**
 * A program's brackets do not match: a {@code ]} closes nothing, or a {@code [} is never closed. The
 * message names the bracket's {@code line:column}.
 */
public final class BrainfuckSyntaxException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The offending bracket. */
    private final SourcePosition position;

    /**
     * Creates the exception.
     *
     * @param position the offending bracket
     * @param message what is wrong, without the position
     */
    BrainfuckSyntaxException(SourcePosition position, String message) {
        super("parse(): " + message + " at " + position);
        this.position = position;
    }

    /** {@return where the offending bracket stands} */
    public SourcePosition position() {
        return position;
    }
}
