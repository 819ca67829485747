package dev.pagealloc.windows;

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
 * A {@link KernelView} that asks a Win32 memory manager for its regions ({@code VirtualQuery}):
 * on Windows the real process's, in tests a simulation's. Reserved pages are {@link Protection#NONE}
 * mappings; residency and NUMA placement are not observed.
 */
final class VirtualQueryKernelView implements KernelView {
    /** The lowest user address Windows hands out (below it is never mapped). */
    private static final long FIRST = 0x10000;

    private final Win32Kernel kernel;

    VirtualQueryKernelView(Win32Kernel kernel) {
        this.kernel = kernel;
    }

    /** One region: {@code {start, end, state, protect, allocationBase}}, or null where the query fails. */
    private long[] region(MemorySegment info, long at) {
        if (kernel.virtualQuery(at, info, info.byteSize()) == 0) {
            return null;
        }
        long start = info.get(JAVA_LONG, 0);
        return new long[] {start, start + info.get(JAVA_LONG, 24), info.get(JAVA_INT, 32), info.get(JAVA_INT, 36),
                info.get(JAVA_LONG, 8)};
    }

    private static boolean writableExecutable(long protect) {
        return (protect & (Win32Abi.PAGE_EXECUTE_READWRITE | 0x80)) != 0;
    }

    @Override
    public List<Mapping> mappings(long address, long byteSize) {
        List<Mapping> mappings = new ArrayList<>();
        long end = address + byteSize;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(Win32Abi.MEMORY_BASIC_INFORMATION_BYTES, 8);
            for (long cursor = address; cursor < end; ) {
                long[] r = region(info, cursor);
                if (r == null || r[1] <= cursor) {
                    break;
                }
                long stop = Math.min(r[1], end);
                if (r[2] != Win32Abi.MEM_FREE && !writableExecutable(r[3])) {
                    Protection p = r[2] == Win32Abi.MEM_RESERVE ? Protection.NONE : protection((int) r[3]);
                    Mapping last = mappings.isEmpty() ? null : mappings.getLast();
                    if (last != null && last.end() == cursor && last.protection() == p) {
                        mappings.set(mappings.size() - 1, new Mapping(last.start(), stop, p));
                    } else {
                        mappings.add(new Mapping(cursor, stop, p));
                    }
                }
                cursor = stop;
            }
        }
        return mappings;
    }

    private static Protection protection(int protect) {
        return switch (protect & 0xFF) {
            case Win32Abi.PAGE_READONLY -> Protection.READ;
            case Win32Abi.PAGE_READWRITE, 0x08 -> Protection.READ_WRITE;
            case Win32Abi.PAGE_EXECUTE, Win32Abi.PAGE_EXECUTE_READ -> Protection.READ_EXECUTE;
            default -> Protection.NONE;
        };
    }

    private List<long[]> all() {
        List<long[]> regions = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(Win32Abi.MEMORY_BASIC_INFORMATION_BYTES, 8);
            for (long cursor = FIRST; ; ) {
                long[] r = region(info, cursor);
                if (r == null || r[1] <= cursor) {
                    return regions;
                }
                regions.add(r);
                cursor = r[1];
            }
        }
    }

    @Override
    public List<String> writableExecutableMappings() {
        List<String> lines = new ArrayList<>();
        for (long[] r : all()) {
            if (r[2] == Win32Abi.MEM_COMMIT && writableExecutable(r[3])) {
                lines.add(Long.toHexString(r[0]) + "-" + Long.toHexString(r[1]) + " "
                        + Win32Abi.protectionName((int) r[3]));
            }
        }
        return lines;
    }



    /** {@return the number of allocations (distinct {@code AllocationBase}s) of the process} */
    @Override
    public OptionalLong mappingCount() {
        return OptionalLong.of(all().stream().filter(r -> r[2] != Win32Abi.MEM_FREE).mapToLong(r -> r[4])
                .distinct().count());
    }

}
