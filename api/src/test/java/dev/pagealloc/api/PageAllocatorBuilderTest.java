package dev.pagealloc.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.internal.TestProviders;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PageAllocatorBuilderTest {

    private static PageAllocatorBuilder builder() {
        return PageAllocator.builder().withProvider(new TestProviders.Supported());
    }

    @Test
    void shouldBuildWithTheDocumentedDefaults() {
        AllocatorConfig config = builder().build().config();
        assertEquals(64 * 1024, config.pageBytes());
        assertEquals(OptionalLong.empty(), config.maximumPages());
        assertTrue(config.guardPages());
        assertEquals(HugePages.systemDefault(), config.hugePages());
        assertEquals(NumaPolicy.none(), config.numaPolicy());
        assertEquals(MemoryTagging.NONE, config.memoryTagging());
        assertEquals(ViewSharing.CONFINED, config.viewSharing());
        assertEquals(GuardVerification.ON_DEALLOCATE, config.guardVerification());
        assertFalse(config.bestEffort());
        assertFalse(config.populate());
        assertFalse(config.lock());
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1, -4096, 3, 4097, Long.MIN_VALUE, Long.MAX_VALUE})
    void shouldRefusePageSizesThatAreNotPositivePowersOfTwo(long pageBytes) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> builder().withPageBytes(pageBytes).build());
        assertEquals("build(pageBytes=" + pageBytes + "): not a positive power of two", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 4096, 65536, 1L << 30, 1L << 62})
    void shouldAcceptPowersOfTwo(long pageBytes) {
        assertEquals(pageBytes, builder().withPageBytes(pageBytes).build().pageBytes());
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1, -2, Long.MIN_VALUE})
    void shouldRefuseAMaximumBelowOne(long maximumPages) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> builder().withMaximumPages(maximumPages).build());
        assertEquals("build(maximumPages=" + maximumPages + "): must be at least 1", e.getMessage());
    }

    @Test
    void shouldRefuseNegativeGuards() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> builder().withGuardBytes(-1, 4096).build());
        assertEquals("build(guardBeforeBytes=-1, guardAfterBytes=4096): guard sizes must not be negative",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> builder().withGuardBytes(0, -8192).build());
        assertEquals("build(guardBeforeBytes=0, guardAfterBytes=-8192): guard sizes must not be negative",
                e.getMessage());
    }

    @Test
    void shouldRecordExplicitGuardsAndTurnThemOff() {
        AllocatorConfig config = builder().withGuardBytes(8192, 0).build().config();
        assertEquals(OptionalLong.of(8192), config.guardBeforeBytes());
        assertEquals(OptionalLong.of(0), config.guardAfterBytes());
        assertFalse(builder().withGuardBytes(8192, 4096).withGuardPages(false).build().config().guardPages());
    }

    @Test
    void shouldRefuseNullsNamingTheMethodAndArgument() {
        for (var c : new Object[][] {
                {"withPlatform", "name", (Executable) () -> builder().withPlatform(null)},
                {"withProvider", "provider", (Executable) () -> builder().withProvider(null)},
                {"withHugePages", "hugePages", (Executable) () -> builder().withHugePages(null)},
                {"withNumaPolicy", "numaPolicy", (Executable) () -> builder().withNumaPolicy(null)},
                {"withMemoryTagging", "memoryTagging", (Executable) () -> builder().withMemoryTagging(null)},
                {"withBudget", "budget", (Executable) () -> builder().withBudget(null)},
                {"withViewSharing", "viewSharing", (Executable) () -> builder().withViewSharing(null)},
                {"withStaticBuffer", "buffer", (Executable) () -> builder().withStaticBuffer(null)},
                {"withGuardVerification", "guardVerification",
                        (Executable) () -> builder().withGuardVerification(null)}}) {
            assertEquals(c[0] + "(" + c[1] + "=null): " + c[1] + " must not be null",
                    assertThrows(NullPointerException.class, (Executable) c[2]).getMessage());
        }
    }

    @Test
    void shouldRefuseAnInitialSizePastTheBuildersMaximum() {
        PageAllocator allocator = builder().withMaximumPages(4).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> allocator.allocate(5));
        assertEquals("allocate(initialPages=5): exceeds the builder's maximumPages=4", e.getMessage());
        try (Region region = allocator.allocate(2)) {
            assertEquals(4, region.maximumPages());
        }
        try (Region region = builder().build().allocate(3)) {
            assertEquals(3, region.maximumPages(), "without a builder maximum the initial size is the maximum");
        }
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> builder().build().allocate(0));
        assertEquals("allocate(initialPages=0): without a builder maximumPages the maximum is initialPages, and"
                + " maximumPages must be at least 1; call allocate(0, maximumPages)", zero.getMessage(),
                "as allocate(0, 0), the Javadoc says");
        try (Region region = builder().withMaximumPages(2).build().allocate(0)) {
            assertEquals(2, region.maximumPages(), "with a builder maximum, a region may start empty");
        }
    }
}
