package dev.pagealloc.macos;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PageAllocatorBuilder;
import dev.pagealloc.testkit.KernelView;
import dev.pagealloc.testkit.PageAllocatorContract;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The conformance suite on the real macOS kernel, judged by the task's own VM map
 * ({@code mach_vm_region}). Runs only on macOS (the CI's macos runner).
 */
@EnabledOnOs(OS.MAC)
class MacPageAllocatorTest extends PageAllocatorContract {
    @Override
    protected PageAllocatorBuilder builder() {
        return PageAllocator.builder().withPlatform("macos");
    }

    @Override
    protected KernelView kernelView() {
        return new MachKernelView(FfmMachKernel.INSTANCE);
    }

    @Override
    protected long mappingCountSlack() {
        return 64;
    }
}
