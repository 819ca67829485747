package dev.pagealloc.embedded;

import dev.pagealloc.spi.PlatformProvider;
import dev.pagealloc.spi.PlatformRequest;
import dev.pagealloc.spi.VirtualMemory;

/** A provider that opens primitives a test made, for {@code PageAllocatorBuilder.withProvider}. */
record FixedProvider(String name, VirtualMemory memory) implements PlatformProvider {
    @Override
    public int priority() {
        return 0;
    }

    @Override
    public Support support() {
        return Support.yes("in tests");
    }

    @Override
    public VirtualMemory open(PlatformRequest request) {
        return memory;
    }
}
