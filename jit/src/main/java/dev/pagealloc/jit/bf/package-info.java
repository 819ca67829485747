/**
 * A Brainfuck compiler and interpreter: the "real use" of executable memory. A program is parsed into an
 * optimizing IR ({@link dev.pagealloc.jit.bf.BrainfuckProgram}), which a plain Java interpreter
 * ({@link dev.pagealloc.jit.bf.BrainfuckInterpreter}) runs, or which a code generator turns into x86-64
 * machine code that runs from executable memory ({@link dev.pagealloc.jit.bf.BrainfuckCompiler}). Both run
 * on a tape of 8-bit wrapping cells in a guarded pagealloc region ({@link dev.pagealloc.jit.bf.Tape}); every
 * move of the tape pointer is checked, in Java and in the generated code alike, so a program that walks off
 * the tape stops with {@link dev.pagealloc.jit.bf.TapeOutOfRangeException}, never with a fault.
 */
package dev.pagealloc.jit.bf;
