package dev.pagealloc.macos;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.pagealloc.api.Protection;
import dev.pagealloc.testkit.KernelView;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * A {@link KernelView} that asks a Mach kernel for its VM map, entry by entry
 * ({@code mach_vm_region} with {@code VM_REGION_BASIC_INFO_64}): on macOS the real task's map, in
 * tests a simulation's. Residency and NUMA placement are not observed.
 */
final class MachKernelView implements KernelView {
    private final MachKernel kernel;
    private final int task;

    MachKernelView(MachKernel kernel) {
        this.kernel = kernel;
        this.task = kernel.machTaskSelf();
    }

    /** One map entry: {@code {start, end, protection}}, or null past the last. */
    private long[] region(Arena arena, long from) {
        MemorySegment address = arena.allocate(JAVA_LONG);
        MemorySegment size = arena.allocate(JAVA_LONG);
        MemorySegment info = arena.allocate(36, 8);
        MemorySegment count = arena.allocate(JAVA_INT);
        MemorySegment object = arena.allocate(JAVA_INT);
        address.set(JAVA_LONG, 0, from);
        count.set(JAVA_INT, 0, MachAbi.VM_REGION_BASIC_INFO_COUNT_64);
        int kr = kernel.machVmRegion(task, address, size, MachAbi.VM_REGION_BASIC_INFO_64, info, count, object);
        if (kr != MachAbi.KERN_SUCCESS) {
            return null;
        }
        long start = address.get(JAVA_LONG, 0);
        return new long[] {start, start + size.get(JAVA_LONG, 0), info.get(JAVA_INT, 0)};
    }

    @Override
    public List<Mapping> mappings(long address, long byteSize) {
        List<Mapping> mappings = new ArrayList<>();
        long end = address + byteSize;
        try (Arena arena = Arena.ofConfined()) {
            long cursor = address;
            while (cursor < end) {
                long[] r = region(arena, cursor);
                if (r == null || r[0] >= end) {
                    break;
                }
                int prot = (int) r[2];
                long start = Math.max(r[0], address);
                long stop = Math.min(r[1], end);
                if ((prot & 6) != 6) {
                    Protection p = (prot & 4) != 0 ? Protection.READ_EXECUTE : (prot & 2) != 0 ? Protection.READ_WRITE
                            : (prot & 1) != 0 ? Protection.READ : Protection.NONE;
                    Mapping last = mappings.isEmpty() ? null : mappings.getLast();
                    if (last != null && last.end() == start && last.protection() == p) {
                        mappings.set(mappings.size() - 1, new Mapping(last.start(), stop, p));
                    } else {
                        mappings.add(new Mapping(start, stop, p));
                    }
                }
                cursor = r[1];
            }
        }
        return mappings;
    }

    @Override
    public List<String> writableExecutableMappings() {
        List<String> lines = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            long cursor = 0;
            for (long[] r; (r = region(arena, cursor)) != null && r[1] > cursor; cursor = r[1]) {
                if ((r[2] & 6) == 6) {
                    lines.add(Long.toHexString(r[0]) + "-" + Long.toHexString(r[1]) + " rwx");
                }
            }
        }
        return lines;
    }



    @Override
    public OptionalLong mappingCount() {
        long count = 0;
        try (Arena arena = Arena.ofConfined()) {
            long cursor = 0;
            for (long[] r; (r = region(arena, cursor)) != null && r[1] > cursor; cursor = r[1]) {
                count++;
            }
        }
        return OptionalLong.of(count);
    }

}
