/**
 * The embedded provider: {@link dev.pagealloc.embedded.EmbeddedPlatformProvider} and the page table
 * over a fixed buffer behind it. Not exported; reached through {@link java.util.ServiceLoader}.
 */
package dev.pagealloc.embedded;
