/**
 * pagealloc on macOS: Mach VM ({@code mach_vm_allocate}, {@code mach_vm_protect},
 * {@code mach_vm_deallocate}) bound with the Foreign Function &amp; Memory API, plus the macOS
 * extras (purgeable memory, {@code vm_copy}, VM tags, superpages, dual mapping with
 * {@code mach_vm_remap}). Not exported: the module only provides
 * {@link dev.pagealloc.spi.PlatformProvider}.
 *
 * <p>What has run: every behaviour here is tested against a simulated Mach kernel (testkit's
 * {@code SimulatedMach}: Apple silicon, Intel, and an x86-64 process under Rosetta 2), whose rules
 * cite the XNU sources they follow, and the exact calls are pinned with a mock kernel. The tests
 * that bind the real calls run only on macOS (the CI's macOS arm64 runner); no Mac was available
 * while writing this code, so statements about the real kernel come from XNU's and libpthread's
 * sources, not from a run.
 */
package dev.pagealloc.macos;
