/**
 * pagealloc on Windows: the Win32 memory manager ({@code VirtualAlloc}, {@code VirtualProtect},
 * {@code VirtualFree}) bound with the Foreign Function &amp; Memory API, plus large pages, NUMA
 * preference and instruction-cache flushing. Not exported: the module only provides
 * {@link dev.pagealloc.spi.PlatformProvider}.
 */
package dev.pagealloc.windows;
