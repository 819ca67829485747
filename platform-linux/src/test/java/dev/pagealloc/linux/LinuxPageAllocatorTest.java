package dev.pagealloc.linux;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PageAllocatorBuilder;
import dev.pagealloc.testkit.KernelView;
import dev.pagealloc.testkit.PageAllocatorContract;

/** The conformance suite on the real Linux kernel, checked against {@code /proc/self} and mincore. */
class LinuxPageAllocatorTest extends PageAllocatorContract {
    private final ProcKernelView view = new ProcKernelView();

    @Override
    protected PageAllocatorBuilder builder() {
        return PageAllocator.builder().withPlatform("linux");
    }

    @Override
    protected KernelView kernelView() {
        return view;
    }
}
