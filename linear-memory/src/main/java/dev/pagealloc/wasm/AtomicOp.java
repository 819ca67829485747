package dev.pagealloc.wasm;

/** The read-modify-write operations of WebAssembly's threads proposal. */
public enum AtomicOp {
    /** {@code rmw.add} */
    ADD,
    /** {@code rmw.sub} */
    SUB,
    /** {@code rmw.and} */
    AND,
    /** {@code rmw.or} */
    OR,
    /** {@code rmw.xor} */
    XOR,
    /** {@code rmw.xchg} */
    EXCHANGE
}
