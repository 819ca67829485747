package dev.pagealloc.jit.bf;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A way to run one program: the interpreter, or the program compiled to machine code.
 */
public sealed interface BrainfuckRunner permits BrainfuckInterpreter, CompiledBrainfuck {

    /**
     * Runs the program once, from the tape's first cell, with the tape as it is.
     *
     * @param tape the tape; the program's last cell values stay on it
     * @param in the program's input, read one byte per {@code ,}; at its end a {@code ,} leaves the cell as it was
     * @param out the program's output, written at the end of the run, or when an internal buffer fills
     * @throws TapeOutOfRangeException if the program moves off the tape; what it printed so far is written
     * @throws IOException if reading {@code in} or writing {@code out} fails; the run stops there
     * @throws IllegalStateException if the tape or the runner is closed
     * @throws NullPointerException if an argument is null
     */
    void run(Tape tape, InputStream in, OutputStream out) throws IOException;

    /** {@return how the program runs, in words, e.g. {@code interpreter} or the compiler's code loader} */
    String describe();
}
