package dev.pagealloc.jit.bf;

import java.io.Serializable;

/**
 * Where a command stands in a program's source text. Immutable and thread-safe.
 *
 * @param line the line, counted from 1; lines end at {@code '\n'}
 * @param column the column, counted from 1, in {@code char}s
 */
public record SourcePosition(int line, int column) implements Serializable {
    /**
     * Checks the position.
     *
     * @throws IllegalArgumentException if {@code line < 1} or {@code column < 1}
     */
    public SourcePosition {
        if (line < 1 || column < 1) {
            throw new IllegalArgumentException("SourcePosition(line=" + line + ", column=" + column
                    + "): both must be >= 1");
        }
    }

    /** {@return {@code line:column}} */
    @Override
    public String toString() {
        return line + ":" + column;
    }
}
