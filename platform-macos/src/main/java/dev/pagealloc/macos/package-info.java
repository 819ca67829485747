/**
 * pagealloc on macOS: Mach VM ({@code mach_vm_allocate}, {@code mach_vm_protect},
 * {@code mach_vm_deallocate}) bound with the Foreign Function &amp; Memory API, plus the macOS
 * extras (purgeable memory, {@code vm_copy}, VM tags, superpages, {@code MAP_JIT}). Not exported:
 * the module only provides {@link dev.pagealloc.spi.PlatformProvider}.
 */
package dev.pagealloc.macos;
