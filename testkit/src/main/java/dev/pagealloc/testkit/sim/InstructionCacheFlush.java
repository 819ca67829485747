package dev.pagealloc.testkit.sim;

/**
 * One instruction-cache maintenance call a simulated kernel recorded: {@code sys_icache_invalidate}
 * on macOS, {@code FlushInstructionCache} on Windows.
 *
 * @param address the first byte the call named
 * @param byteLength the length the call named, in bytes
 */
public record InstructionCacheFlush(long address, long byteLength) {}
