/**
 * Executable memory for code generated at run time: {@link dev.pagealloc.jit.JitMemory} (strategies,
 * statistics), {@link dev.pagealloc.jit.CodeBuffer} (the W^X state machine and calling),
 * {@link dev.pagealloc.jit.CodeHeap} (many small functions in shared pages).
 */
package dev.pagealloc.jit;
