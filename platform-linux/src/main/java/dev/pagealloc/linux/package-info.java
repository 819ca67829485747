/**
 * The Linux platform module's one package, not exported: {@link dev.pagealloc.linux.LinuxKernel}
 * (the C calls, bound by {@link dev.pagealloc.linux.FfmLinuxKernel}),
 * {@link dev.pagealloc.linux.LinuxVirtualMemory} (the page primitives written against it),
 * {@link dev.pagealloc.linux.LinuxProbe} (capabilities from sysfs and procfs) and
 * {@link dev.pagealloc.linux.LinuxPlatformProvider}, which the module provides.
 */
package dev.pagealloc.linux;
