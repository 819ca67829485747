/**
 * Chicory on pagealloc: {@link dev.pagealloc.chicory.PageallocMemory}, a Chicory {@code Memory} over a
 * {@link dev.pagealloc.wasm.LinearMemory}, and {@link dev.pagealloc.chicory.PageallocMemoryFactory}, a memory
 * factory that releases what it made.
 */
package dev.pagealloc.chicory;
