/** Small real WebAssembly programs, WAT and binary, for tests, benchmarks, the CLI and the tour. */
package dev.pagealloc.chicory.programs;
