/**
 * JMH benchmarks that run pagealloc beside its peers in one run and report ratios: the same
 * system calls bound with plain FFM downcall handles ("raw FFM"), bound with JNA's direct mapping,
 * and made by a small C program built with the machine's {@code gcc} when the run starts (the
 * floor). {@link dev.pagealloc.bench.BenchMain} runs them all and prints one markdown table.
 *
 * <p>"Ours" is {@code PageAllocator.builder().withPlatform("linux")} with the system page as its
 * logical page and no guard pages, so that each of its operations makes the same system calls as
 * the peers: reserve is {@code mmap(PROT_NONE, MAP_NORESERVE)}, commit and grow {@code mprotect},
 * deallocate {@code munmap}.
 */
package dev.pagealloc.bench;
