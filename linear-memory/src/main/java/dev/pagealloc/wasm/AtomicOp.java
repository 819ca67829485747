package dev.pagealloc.wasm;

/** The read-modify-write operations of WebAssembly's threads proposal ({@code *.atomic.rmw*.op}). */
public enum AtomicOp {
    /** {@code rmw.add}: wrapping addition. */
    ADD,
    /** {@code rmw.sub}: wrapping subtraction. */
    SUB,
    /** {@code rmw.and} */
    AND,
    /** {@code rmw.or} */
    OR,
    /** {@code rmw.xor} */
    XOR,
    /** {@code rmw.xchg}: the operand replaces the value. */
    EXCHANGE;

    /**
     * The new value from the old one, in 64 bits; the caller keeps the low bytes of its width (wrapping
     * arithmetic in the low bytes does not depend on the high ones).
     */
    long apply(long current, long operand) {
        return switch (this) {
            case ADD -> current + operand;
            case SUB -> current - operand;
            case AND -> current & operand;
            case OR -> current | operand;
            case XOR -> current ^ operand;
            case EXCHANGE -> operand;
        };
    }
}
