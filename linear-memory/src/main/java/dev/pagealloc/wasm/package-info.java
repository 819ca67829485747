/**
 * WebAssembly linear memories, memory pools and copy-on-write images.
 */
package dev.pagealloc.wasm;
