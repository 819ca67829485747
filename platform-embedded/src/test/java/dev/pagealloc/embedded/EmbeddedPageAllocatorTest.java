package dev.pagealloc.embedded;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PageAllocatorBuilder;
import dev.pagealloc.testkit.AccountingContract;
import dev.pagealloc.testkit.BadInputContract;
import dev.pagealloc.testkit.ConcurrencyContract;
import dev.pagealloc.testkit.KernelView;
import dev.pagealloc.testkit.OptionsContract;
import dev.pagealloc.testkit.RandomOperationsContract;
import dev.pagealloc.testkit.RegionLifecycleContract;
import dev.pagealloc.testkit.ViewContract;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The conformance suite over the embedded provider, checked against its own page tables. */
class EmbeddedPageAllocatorTest implements RegionLifecycleContract, ViewContract, AccountingContract,
        BadInputContract, ConcurrencyContract, OptionsContract, RandomOperationsContract {
    private final List<EmbeddedVirtualMemory> tables = new CopyOnWriteArrayList<>();
    private final EmbeddedPlatformProvider provider = new EmbeddedPlatformProvider(tables::add);

    @Override
    public PageAllocatorBuilder builder() {
        return PageAllocator.builder().withProvider(provider);
    }

    @Override
    public KernelView kernelView() {
        return new EmbeddedKernelView(tables);
    }

    @Override
    public boolean canExecute() {
        return false;
    }

    @Override
    public long mappingCountSlack() {
        return 0;
    }
}
