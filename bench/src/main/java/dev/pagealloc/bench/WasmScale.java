package dev.pagealloc.bench;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.pagealloc.wasm.LinearMemory;
import dev.pagealloc.wasm.MemoryOptions;
import dev.pagealloc.wasm.MemoryType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Issue 8's scale figure: N live linear memories in one JVM (10,000 by default), each reserving the 4 GiB
 * index space plus its guards ({@link MemoryOptions#DEFAULT}: 64 KiB before, 2 GiB after), one page committed
 * and written. Prints the process's resident memory (VmRSS, proc(5)) and mapping count before and after,
 * the address space reserved, and the headroom left under {@code vm.max_map_count}.
 *
 * <p>Run: {@code java --enable-native-access=ALL-UNNAMED -cp <bench jar> dev.pagealloc.bench.WasmScale [N]}.
 */
public final class WasmScale {
    private WasmScale() {}

    /**
     * Runs the measurement.
     *
     * @param args optional: the number of memories
     * @throws IOException if procfs cannot be read
     */
    public static void main(String[] args) throws IOException {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        MemoryType type = MemoryType.i32(1, 65536);
        LinearMemory warm = LinearMemory.create(type); // the allocator built and bound before the baseline
        warm.close();
        long rssBefore = statusKib("VmRSS");
        long mapsBefore = mappings();
        long start = System.nanoTime();
        List<LinearMemory> memories = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            LinearMemory memory = LinearMemory.create(type);
            memory.segment().set(JAVA_BYTE, 0, (byte) i);
            memories.add(memory);
        }
        long elapsedNanos = System.nanoTime() - start;
        long rssAfter = statusKib("VmRSS");
        long mapsAfter = mappings();
        long limit = Long.parseLong(Files.readAllLines(Path.of("/proc/sys/vm/max_map_count")).get(0).trim());
        long reservedPerMemory = (1L << 32) + MemoryOptions.DEFAULT_GUARD_BEFORE_BYTES
                + MemoryOptions.DEFAULT_GUARD_AFTER_BYTES;
        System.out.printf("memories: %d live, each reserving %d bytes (4 GiB + guards), one page written%n", count,
                reservedPerMemory);
        System.out.printf("address space reserved: %.1f TiB%n", (double) reservedPerMemory * count / (1L << 40));
        System.out.printf("created in %.1f ms (%.1f us per memory)%n", elapsedNanos / 1e6, elapsedNanos / 1e3 / count);
        System.out.printf("resident (VmRSS): %.1f MiB before, %.1f MiB after, +%.1f MiB (%.1f KiB per memory)%n",
                rssBefore / 1024.0, rssAfter / 1024.0, (rssAfter - rssBefore) / 1024.0,
                (double) (rssAfter - rssBefore) / count);
        System.out.printf("mappings: %d before, %d after (%.2f per memory); vm.max_map_count %d, headroom %d%n",
                mapsBefore, mapsAfter, (double) (mapsAfter - mapsBefore) / count, limit, limit - mapsAfter);
        for (LinearMemory memory : memories) {
            memory.close();
        }
    }

    private static long statusKib(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
            }
        }
        throw new IllegalStateException(field + " not in /proc/self/status");
    }

    private static long mappings() throws IOException {
        try (var lines = Files.lines(Path.of("/proc/self/maps"))) {
            return lines.count();
        }
    }
}
