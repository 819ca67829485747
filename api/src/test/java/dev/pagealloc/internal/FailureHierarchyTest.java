package dev.pagealloc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pagealloc.api.BudgetExceededException;
import dev.pagealloc.api.GuardCorruptedException;
import dev.pagealloc.api.KernelException;
import dev.pagealloc.api.MappingLimitExceededException;
import dev.pagealloc.api.MaximumPagesExceededException;
import dev.pagealloc.api.NumaPolicy;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PageAllocatorBuilder;
import dev.pagealloc.api.PageAllocatorException;
import dev.pagealloc.api.PlatformUnavailableException;
import dev.pagealloc.api.UnsupportedOptionException;
import dev.pagealloc.spi.VirtualMemory;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * One failure type to catch: every refusal a correct program can meet is a {@link PageAllocatorException},
 * from a closed set, and what the capabilities rule out is refused at {@code build()}.
 */
class FailureHierarchyTest {

    private static PageAllocatorBuilder builder(VirtualMemory memory) {
        return PageAllocator.builder().withPageBytes(4096).withProvider(TestProviders.of("fake", memory));
    }

    @Test
    void shouldBeAClosedSetOfPageAllocatorExceptions() {
        assertTrue(PageAllocatorException.class.isSealed());
        Set<Class<?>> permitted = Arrays.stream(PageAllocatorException.class.getPermittedSubclasses())
                .collect(Collectors.toSet());
        assertEquals(Set.of(PlatformUnavailableException.class, UnsupportedOptionException.class,
                MaximumPagesExceededException.class, BudgetExceededException.class,
                MappingLimitExceededException.class, KernelException.class, GuardCorruptedException.class), permitted);
    }

    @Test
    void shouldLetOneCatchSeeAnOptionRefusedAtBuild() {
        try {
            builder(new FakeVirtualMemory()).withNumaPolicy(NumaPolicy.bind(0)).build();
            fail("a platform without NUMA must refuse a NUMA binding at build()");
        } catch (PageAllocatorException e) {
            UnsupportedOptionException refused = assertInstanceOf(UnsupportedOptionException.class, e);
            assertEquals("build()", refused.operation());
            assertEquals("numaPolicy=" + NumaPolicy.bind(0), refused.option());
            assertEquals("build(): numaPolicy=" + NumaPolicy.bind(0) + " is not available: platform fake has no NUMA"
                    + " support", refused.getMessage());
        }
    }

    @Test
    void shouldLetOneCatchSeeAMissingPlatform() {
        try {
            PageAllocator.builder().withPlatform("solaris").build();
            fail("no provider is named solaris");
        } catch (PageAllocatorException e) {
            assertInstanceOf(PlatformUnavailableException.class, e);
            assertTrue(e.getMessage().startsWith("select(pagealloc.platform=solaris): no provider named 'solaris'"),
                    e.getMessage());
        }
    }
}
