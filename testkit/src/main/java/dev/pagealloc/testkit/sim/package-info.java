/**
 * Simulated kernels (a Mach VM, a Win32 memory manager) that keep a page table and enforce each
 * API's documented rules, so platform logic runs and is tested on any machine.
 */
package dev.pagealloc.testkit.sim;
