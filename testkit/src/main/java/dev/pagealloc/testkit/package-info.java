/**
 * The conformance suite ({@link dev.pagealloc.testkit.PageAllocatorContract}) and the
 * {@link dev.pagealloc.testkit.KernelView} it checks every operation against.
 */
package dev.pagealloc.testkit;
