package dev.pagealloc.jit.bf;

import java.util.List;

/**
 * One instruction of a parsed program's IR: Brainfuck's eight commands after run-length folding, with
 * the common loop idioms recognised. Cells are 8 bits and wrap; the tape pointer is a cell index.
 * Immutable and thread-safe.
 */
public sealed interface Instruction {

    /**
     * Adds {@code delta} to the current cell, modulo 256: a run of {@code +} and {@code -}.
     *
     * @param delta the amount, in {@code 1..255}
     */
    record Add(int delta) implements Instruction {
        /**
         * Checks the amount.
         *
         * @throws IllegalArgumentException if {@code delta} is not in {@code 1..255}
         */
        public Add {
            if (delta < 1 || delta > 255) {
                throw new IllegalArgumentException("Add(delta=" + delta + "): must be in 1..255");
            }
        }
    }

    /**
     * Moves the tape pointer by {@code cells}: a run of {@code <} and {@code >}. The move is checked
     * against the tape's bounds.
     *
     * @param cells the distance, in cells; negative moves left; never 0
     */
    record Move(int cells) implements Instruction {
        /**
         * Checks the distance.
         *
         * @throws IllegalArgumentException if {@code cells == 0}
         */
        public Move {
            if (cells == 0) {
                throw new IllegalArgumentException("Move(cells=0): must not be 0");
            }
        }
    }

    /** Sets the current cell to 0: {@code [-]} or {@code [+]} (any loop adding an odd amount and nothing else). */
    record Clear() implements Instruction {}

    /**
     * A loop that decrements the current cell by one per turn, adds fixed amounts to nearby cells and
     * returns to where it started, such as {@code [->+>++<<]}: when the current cell holds {@code n != 0},
     * it adds {@code n * factor} to each term's cell and sets the current cell to 0; when it holds 0, it
     * does nothing. The cells it would visit, from {@code minOffset} to {@code maxOffset} around the
     * current one, are checked against the tape's bounds before anything changes.
     *
     * @param terms the cells changed, other than the current one; may be empty
     * @param minOffset the leftmost cell the loop visits, relative to the current one; {@code <= 0}
     * @param maxOffset the rightmost cell the loop visits, relative to the current one; {@code >= 0}
     */
    record MultiplyLoop(List<Term> terms, int minOffset, int maxOffset) implements Instruction {
        /**
         * Copies the terms and checks the offsets.
         *
         * @throws IllegalArgumentException if {@code minOffset > 0} or {@code maxOffset < 0}
         */
        public MultiplyLoop {
            terms = List.copyOf(terms);
            if (minOffset > 0 || maxOffset < 0) {
                throw new IllegalArgumentException("MultiplyLoop(minOffset=" + minOffset + ", maxOffset=" + maxOffset
                        + "): must surround 0");
            }
        }
    }

    /**
     * One target of a {@link MultiplyLoop}.
     *
     * @param offset the cell, relative to the loop's current cell; never 0
     * @param factor what one turn of the loop adds to it, in {@code 1..255}
     */
    record Term(int offset, int factor) {}

    /** Writes the current cell to the output: {@code .}. */
    record Output() implements Instruction {}

    /** Reads one byte of input into the current cell: {@code ,}. At the end of input the cell is left as it was. */
    record Input() implements Instruction {}

    /**
     * Starts a loop: {@code [}; jumps past its {@link LoopEnd} when the current cell is 0.
     *
     * @param end the index of the matching {@link LoopEnd}
     */
    record LoopStart(int end) implements Instruction {}

    /**
     * Ends a loop: {@code ]}; jumps back after its {@link LoopStart} when the current cell is not 0.
     *
     * @param start the index of the matching {@link LoopStart}
     */
    record LoopEnd(int start) implements Instruction {}
}
