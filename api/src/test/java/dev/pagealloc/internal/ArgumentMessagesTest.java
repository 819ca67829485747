package dev.pagealloc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.MemoryTagging;
import dev.pagealloc.api.NumaPolicy;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import java.util.SortedSet;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * A null argument names the operation, the argument and the rule, as every other bad argument does,
 * instead of the JDK's bare {@code NullPointerException: protection}.
 */
class ArgumentMessagesTest {

    private static String npe(Executable call) {
        return assertThrows(NullPointerException.class, call).getMessage();
    }

    private static PageAllocator allocator() {
        FakeVirtualMemory memory = new FakeVirtualMemory();
        return PageAllocator.builder().withPageBytes(4096).withProvider(TestProviders.of("fake", memory)).build();
    }

    @Test
    void shouldNameTheOperationAndArgumentOfANullProtection() {
        try (Region region = allocator().allocate(1, 1)) {
            assertEquals("protect(byteOffset=0, byteLength=4096, protection=null): protection must not be null",
                    npe(() -> region.protect(0, 4096, null)));
            assertEquals(Protection.READ_WRITE, region.protectionAt(0), "nothing changed");
        }
    }

    @Test
    void shouldNameTheOperationOfANullRegion() {
        PageAllocator allocator = allocator();
        assertEquals("grow(region=null, additionalPages=1): region must not be null",
                npe(() -> allocator.grow(null, 1)));
        assertEquals("protect(region=null, byteOffset=0, byteLength=4096, protection=READ): region must not be null",
                npe(() -> allocator.protect(null, 0, 4096, Protection.READ)));
        assertEquals("deallocate(region=null): region must not be null", npe(() -> allocator.deallocate(null)));
    }

    @Test
    void shouldNameTheValueTypeOfANullComponent() {
        assertEquals("NumaPolicy.bind(nodes=null): nodes must not be null", npe(() -> NumaPolicy.bind((int[]) null)));
        assertEquals("NumaPolicy.interleave(nodes=null): nodes must not be null",
                npe(() -> new NumaPolicy.Interleave((SortedSet<Integer>) null)));
        assertEquals("MemoryTagging(mode=null, includeMask=0xfffe): mode must not be null",
                npe(() -> new MemoryTagging(null, 0xFFFE)));
        assertEquals("READ.isWithin(other=null): other must not be null", npe(() -> Protection.READ.isWithin(null)));
        Function<Capabilities.Builder, Capabilities> build = Capabilities.Builder::build;
        assertEquals("Capabilities(platform=null): platform must not be null",
                npe(() -> build.apply(Capabilities.builder().pageBytes(4096))));
    }
}
