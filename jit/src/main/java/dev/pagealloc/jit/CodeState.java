package dev.pagealloc.jit;

/**
 * The state of a {@link CodeBuffer}: the W^X state machine of Aria's WildX allocator.
 *
 * <pre>
 *   WRITABLE --seal()--&gt; EXECUTABLE --free()--&gt; FREED
 *       ^                    |
 *       +--makeWritable()----+   (patching; a JitMemory policy can forbid it)
 *   WRITABLE --free()--&gt; FREED
 * </pre>
 */
public enum CodeState {
    /** Java may write the code through {@link CodeBuffer#segment()}; the CPU may not run it. */
    WRITABLE,
    /** The CPU may run the code; no Java-reachable view writes it. */
    EXECUTABLE,
    /** Released: unmapped, or overwritten with trap instructions and made inaccessible where possible. */
    FREED
}
