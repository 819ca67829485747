/**
 * The service-provider interface platform modules implement: a {@link
 * dev.pagealloc.spi.PlatformProvider} found through {@link java.util.ServiceLoader} opens a {@link
 * dev.pagealloc.spi.VirtualMemory}, the handful of raw page primitives of one operating system.
 * Argument checks, the region state machine, guard layout, views and statistics live above it, once.
 */
package dev.pagealloc.spi;
