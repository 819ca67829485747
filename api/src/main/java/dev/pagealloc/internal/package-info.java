/**
 * Logic shared by every platform: the allocator and region state machine written once above
 * {@link dev.pagealloc.spi.VirtualMemory}. Exported only to pagealloc's own modules; not an API.
 */
package dev.pagealloc.internal;
