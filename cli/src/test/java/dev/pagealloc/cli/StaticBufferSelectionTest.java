package dev.pagealloc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.UnsupportedOptionException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** With every platform module present, as an application ships them: where a static buffer goes. */
class StaticBufferSelectionTest {

    @Test
    void shouldChooseTheProviderThatTakesTheBufferWhenNoneIsNamed() {
        MemorySegment buffer = Arena.global().allocate(1 << 20, 4096);
        PageAllocator allocator = PageAllocator.builder().withPageBytes(4096).withStaticBuffer(buffer).build();
        assertEquals("embedded", allocator.platform());
        try (Region region = allocator.allocate(1, 4)) {
            long offset = region.address() - buffer.address();
            assertTrue(offset >= 0 && offset < buffer.byteSize(), "the region lies inside the buffer");
        }
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void shouldRefuseAtBuildABufferTheNamedOsProviderWouldIgnore() {
        MemorySegment buffer = Arena.global().allocate(1 << 20, 4096);
        UnsupportedOptionException e = assertThrows(UnsupportedOptionException.class,
                () -> PageAllocator.builder().withPlatform("linux").withStaticBuffer(buffer).build());
        assertTrue(e.getMessage().contains("provider 'linux' maps its own memory and would ignore the buffer"),
                e.getMessage());
    }
}
