/**
 * Simulated kernels that keep a page table and enforce each API's documented rules, so platform
 * logic runs and is tested on any machine: a Mach VM ({@link dev.pagealloc.testkit.sim.SimulatedMach})
 * with its BSD calls ({@link dev.pagealloc.testkit.sim.SimulatedBsd}), and a Win32 memory manager
 * ({@link dev.pagealloc.testkit.sim.SimulatedWin32}) with its process and system calls
 * ({@link dev.pagealloc.testkit.sim.SimulatedWin32System}).
 */
package dev.pagealloc.testkit.sim;
