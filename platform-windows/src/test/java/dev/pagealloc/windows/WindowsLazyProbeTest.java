package dev.pagealloc.windows;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import dev.pagealloc.testkit.sim.SimulatedWin32;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** OSHI (with JNA, 0.2-0.3 s to load) runs only when capabilities are asked for, and once. */
class WindowsLazyProbeTest {

    @Test
    void shouldAskOshiOnlyWhenCapabilitiesAreAskedFor() {
        AtomicInteger asked = new AtomicInteger();
        WindowsPlatformProvider provider = new WindowsPlatformProvider(
                new SimulatedWin32Kernel(new SimulatedWin32(32L << 20, 0, 0, false)), () -> {
                    asked.incrementAndGet();
                    return Optional.of(new WindowsProbe.HostFacts("Windows (simulated)", 8L << 30, Map.of()));
                }, "Windows 11");
        PageAllocator allocator = PageAllocator.builder().withProvider(provider).build();
        try (Region region = allocator.allocate(1, 2)) {
            region.segment().fill((byte) 1);
        }
        assertEquals(0, asked.get(), "build and a region's life need no OSHI fact");
        assertEquals(8L << 30, allocator.capabilities().totalMemoryBytes());
        allocator.capabilities();
        assertEquals(1, asked.get(), "asked once");
    }
}
