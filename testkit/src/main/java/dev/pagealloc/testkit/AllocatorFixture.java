package dev.pagealloc.testkit;

import dev.pagealloc.api.PageAllocatorBuilder;

/**
 * The two things a backend gives every contract, the conformance suite's and a layer's own: how to
 * build an allocator for it and how to read the kernel's own view of the memory it maps.
 *
 * @implSpec Implementations are test classes; JUnit calls both methods on the test's thread, and
 * the concurrency tests may call {@link #kernelView()} from the threads they start, so a view must
 * tolerate concurrent calls.
 */
public interface AllocatorFixture {
    /**
     * {@return a fresh builder preconfigured for the backend under test}: its platform name,
     * static buffer or simulated provider. A contract adds its own options to it; each call must
     * return a new builder.
     */
    PageAllocatorBuilder builder();

    /** {@return the kernel's own view of the address space the backend maps into} */
    KernelView kernelView();
}
