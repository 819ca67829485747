/**
 * The service-provider interface platform modules implement: a {@link
 * dev.pagealloc.spi.PlatformProvider} found through {@link java.util.ServiceLoader} opens a {@link
 * dev.pagealloc.spi.VirtualMemory}, the handful of raw page primitives of one operating system.
 * Argument checks, the region state machine, guard layout, views and statistics live above it, once.
 *
 * <p>The primitives act on raw addresses, so {@link dev.pagealloc.spi.PlatformProvider#open} is a restricted
 * method and {@link dev.pagealloc.spi.NativeAccess} implements the check every provider makes.
 */
package dev.pagealloc.spi;
