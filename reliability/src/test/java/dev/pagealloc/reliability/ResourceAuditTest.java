package dev.pagealloc.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import dev.pagealloc.testkit.ProcMaps;
import dev.pagealloc.testkit.ResourceAudit;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The audit finds each thing it looks for, and nothing on a clean process. */
class ResourceAuditTest {
    @Test
    void shouldFindALiveRegionAndNonZeroStatisticsThenNothingOnceFreed() {
        PageAllocator allocator = ResourceAudit.track(PageAllocator.builder().build());
        Region region = allocator.allocate(1, 2);
        ResourceAudit.track(allocator);

        List<String> problems = ResourceAudit.audit(true, 100);

        assertTrue(problems.stream().anyMatch(p -> p.startsWith("a pagealloc reservation is still live: 0x"
                + Long.toHexString(region.address() - region.guardBeforeBytes()))), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("an allocator's statistics are not back at zero")),
                problems.toString());
        region.deallocate();
        ResourceAudit.track(allocator);
        assertEquals(List.of(), ResourceAudit.audit(true));
    }

    @Test
    @SuppressWarnings("restricted")
    void shouldFindAnRwxMappingOutsideTheCodeCache() throws Throwable {
        assumeTrue(ProcMaps.available() && System.getProperty("os.name").startsWith("Linux"), "Linux procfs");
        Linker linker = Linker.nativeLinker();
        // mmap(NULL, 4096, PROT_READ|PROT_WRITE|PROT_EXEC, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0): Linux x86-64 and
        // arm64 values (asm-generic/mman-common.h: PROT_EXEC 0x4, MAP_PRIVATE 0x02, MAP_ANONYMOUS 0x20).
        MethodHandle mmap = linker.downcallHandle(linker.defaultLookup().findOrThrow("mmap"), FunctionDescriptor.of(
                ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
        MethodHandle munmap = linker.downcallHandle(linker.defaultLookup().findOrThrow("munmap"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        MemorySegment rwx = (MemorySegment) mmap.invokeExact(MemorySegment.NULL, 4096L, 7, 0x22, -1, 0L);
        try {
            List<String> found = ResourceAudit.writableExecutable();
            assertTrue(found.stream().anyMatch(l -> l.contains("0x" + Long.toHexString(rwx.address()) + "-")),
                    found.toString());
        } finally {
            assertEquals(0, (int) munmap.invokeExact(rwx, 4096L));
        }
        assertEquals(List.of(), ResourceAudit.writableExecutable());
    }
}
