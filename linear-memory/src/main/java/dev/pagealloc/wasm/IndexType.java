package dev.pagealloc.wasm;

/** The type of a memory's addresses: 32-bit, or 64-bit (the memory64 proposal). */
public enum IndexType {
    /** Addresses are unsigned 32-bit integers. */
    I32,
    /** Addresses are unsigned 64-bit integers (memory64). */
    I64
}
