package dev.pagealloc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.MemoryTagging;
import dev.pagealloc.api.MemoryTagging.TagCheckMode;
import dev.pagealloc.api.MemoryTagging.TaggingPolicy;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PageAllocatorBuilder;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.UnsupportedOptionException;
import org.junit.jupiter.api.Test;

/** The tagging policy as build() resolves it against the platform's capabilities. */
class TaggingPlanTest {

    private static PageAllocatorBuilder builder(boolean mte) {
        return PageAllocator.builder().withProvider(TestProviders.of("fake",
                new FakeVirtualMemory(b -> b.memoryTagging(mte))));
    }

    private static MemoryTagging applied(PageAllocatorBuilder builder) {
        try (Region region = builder.build().allocate(1, 1)) {
            return region.appliedOptions().memoryTagging();
        }
    }

    @Test
    void shouldResolveBestAvailableToWhatTheCpuHas() {
        assertEquals(new MemoryTagging(TaggingPolicy.SOFTWARE, TagCheckMode.ASYMMETRIC, 0xFFFE),
                applied(builder(false).withMemoryTagging(TaggingPolicy.BEST_AVAILABLE, TagCheckMode.ASYMMETRIC)));
        assertEquals(new MemoryTagging(TaggingPolicy.HARDWARE, TagCheckMode.SYNC, 0xFFFE),
                applied(builder(true).withMemoryTagging(TaggingPolicy.BEST_AVAILABLE, TagCheckMode.SYNC)));
    }

    @Test
    void shouldGiveSoftwareTaggingEverywhereAndRefuseHardwareWithoutMte() {
        MemoryTagging software = MemoryTagging.of(TaggingPolicy.SOFTWARE, TagCheckMode.SYNC).excluding(0x00F0);
        assertEquals(software, applied(builder(false).withMemoryTagging(software)));
        UnsupportedOptionException e = assertThrows(UnsupportedOptionException.class,
                () -> builder(false).withMemoryTagging(TaggingPolicy.HARDWARE, TagCheckMode.ASYNC).build());
        assertTrue(e.getMessage().contains("the CPU has no memory tagging"), e.getMessage());
        assertEquals(MemoryTagging.NONE, applied(builder(false).withBestEffort(true)
                .withMemoryTagging(TaggingPolicy.HARDWARE, TagCheckMode.ASYNC)));
        assertEquals(MemoryTagging.NONE,
                applied(builder(false).withMemoryTagging(TaggingPolicy.OFF, TagCheckMode.SYNC)));
    }

    @Test
    void shouldCheckPolicyModeAndMasks() {
        MemoryTagging t = MemoryTagging.of(TaggingPolicy.SOFTWARE, TagCheckMode.ASYNC);
        assertEquals(0x0001, t.excludeMask());
        assertEquals(0xFF0E, t.excluding(0x00F0).includeMask());
        assertEquals("MemoryTagging(mode=ASYNC, includeMask=0x0): no tag to choose",
                assertThrows(IllegalArgumentException.class, () -> t.excluding(0xFFFF)).getMessage());
        assertEquals("excluding(excludeMask=0x10000): only bits 0..15 name tags",
                assertThrows(IllegalArgumentException.class, () -> t.excluding(0x10000)).getMessage());
        assertEquals("MemoryTagging(policy=OFF, mode=SYNC): policy OFF goes with mode NONE and only with it",
                assertThrows(IllegalArgumentException.class,
                        () -> new MemoryTagging(TaggingPolicy.OFF, TagCheckMode.SYNC, 1)).getMessage());
        assertEquals("MemoryTagging(policy=SOFTWARE, mode=NONE): policy OFF goes with mode NONE and only with it",
                assertThrows(IllegalArgumentException.class,
                        () -> new MemoryTagging(TaggingPolicy.SOFTWARE, TagCheckMode.NONE, 1)).getMessage());
        assertEquals("MemoryTagging(policy=SOFTWARE, mode=null, includeMask=0x1): mode must not be null",
                assertThrows(NullPointerException.class,
                        () -> new MemoryTagging(TaggingPolicy.SOFTWARE, null, 1)).getMessage());
        assertTrue(TagCheckMode.ASYMMETRIC.synchronous(false));
        assertTrue(!TagCheckMode.ASYMMETRIC.synchronous(true));
        assertTrue(TagCheckMode.SYNC.synchronous(true) && !TagCheckMode.ASYNC.synchronous(false));
    }
}
