/**
 * The conformance suite ({@link dev.pagealloc.testkit.PageAllocatorContract}) every backend's test
 * extends, the {@link dev.pagealloc.testkit.KernelView} it checks every operation against, and
 * {@link dev.pagealloc.testkit.ChildJvm} for tests whose subject may crash the JVM.
 */
package dev.pagealloc.testkit;
