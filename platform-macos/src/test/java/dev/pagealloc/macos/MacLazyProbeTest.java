package dev.pagealloc.macos;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import dev.pagealloc.testkit.sim.SimulatedMach;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** OSHI (with JNA, 0.2-0.3 s to load) runs only when capabilities are asked for, and once. */
class MacLazyProbeTest {

    @Test
    void shouldAskOshiOnlyWhenCapabilitiesAreAskedFor() {
        AtomicInteger asked = new AtomicInteger();
        MacPlatformProvider provider = new MacPlatformProvider(new SimulatedMachKernel(SimulatedMach.arm64(2L << 20)),
                () -> {
                    asked.incrementAndGet();
                    return Optional.of(new MacProbe.HostFacts("macOS (simulated)", 1L << 30));
                }, "Mac OS X");
        PageAllocator allocator = PageAllocator.builder().withProvider(provider).build();
        try (Region region = allocator.allocate(1, 2)) {
            region.segment().fill((byte) 1);
        }
        assertEquals(0, asked.get(), "build and a region's life need no OSHI fact");
        assertEquals("macOS (simulated)", allocator.capabilities().operatingSystem());
        allocator.capabilities();
        assertEquals(1, asked.get(), "asked once");
    }
}
