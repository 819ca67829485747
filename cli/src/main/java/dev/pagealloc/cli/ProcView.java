package dev.pagealloc.cli;

import dev.pagealloc.platform.support.MapsLine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the Linux kernel's own view of this process's address space, for the tour to show next to
 * each step: {@code /proc/self/maps}, {@code smaps} and {@code numa_maps}. Text only; no native calls.
 */
final class ProcView {
    private static final Path MAPS = Path.of("/proc/self/maps");
    private static final Path SMAPS = Path.of("/proc/self/smaps");
    private static final Path NUMA_MAPS = Path.of("/proc/self/numa_maps");

    private ProcView() {}

    /** {@return whether the kernel's view can be read here} */
    static boolean available() {
        return Files.isReadable(MAPS);
    }

    /** {@return the maps lines overlapping {@code [start, end)}, as the kernel prints them} */
    static List<String> maps(long start, long end) {
        List<String> hits = new ArrayList<>();
        for (String line : read(MAPS)) {
            if (overlaps(MapsLine.parse(line), start, end)) {
                hits.add(line.strip());
            }
        }
        return hits;
    }

    /**
     * {@return the sum of an smaps field (in kB) over the mappings overlapping {@code [start, end)}},
     * or the largest value for {@code KernelPageSize}
     */
    static long smapsKb(long start, long end, String field) {
        long total = 0;
        boolean inRange = false;
        for (String line : read(SMAPS)) {
            MapsLine mapping = MapsLine.parse(line);
            if (mapping != null) {
                inRange = overlaps(mapping, start, end);
            } else if (inRange && line.startsWith(field + ":")) {
                long kb = Long.parseLong(line.substring(field.length() + 1).replace("kB", "").strip());
                total = field.equals("KernelPageSize") ? Math.max(total, kb) : total + kb;
            }
        }
        return total;
    }

    /** {@return the numa_maps lines of mappings starting inside {@code [start, end)}} */
    static List<String> numaMaps(long start, long end) {
        if (!Files.isReadable(NUMA_MAPS)) {
            return List.of();
        }
        List<String> hits = new ArrayList<>();
        for (String line : read(NUMA_MAPS)) {
            long address = Long.parseUnsignedLong(line.substring(0, line.indexOf(' ')), 16);
            if (address >= start && address < end) {
                hits.add(line.strip());
            }
        }
        return hits;
    }

    private static boolean overlaps(MapsLine mapping, long start, long end) {
        return mapping.start() < end && mapping.end() > start;
    }

    private static List<String> read(Path path) {
        try {
            return Files.readAllLines(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }
}
