package dev.pagealloc.embedded;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PageAllocatorBuilder;
import dev.pagealloc.testkit.KernelView;
import dev.pagealloc.testkit.PageAllocatorContract;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The conformance suite over the embedded provider, checked against its own page tables. */
class EmbeddedPageAllocatorTest extends PageAllocatorContract {
    private final List<EmbeddedVirtualMemory> tables = new CopyOnWriteArrayList<>();
    private final EmbeddedPlatformProvider provider = new EmbeddedPlatformProvider(tables::add);

    @Override
    protected PageAllocatorBuilder builder() {
        return PageAllocator.builder().withProvider(provider);
    }

    @Override
    protected KernelView kernelView() {
        return new EmbeddedKernelView(tables);
    }

    @Override
    protected boolean canExecute() {
        return false;
    }

    @Override
    protected long mappingCountSlack() {
        return 0;
    }
}
