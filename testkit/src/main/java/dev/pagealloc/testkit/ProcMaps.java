package dev.pagealloc.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The kernel's view of this process's mappings, for the layers' tests: {@code /proc/self/smaps} (proc(5)) read
 * whole, the permissions of a range as runs, and sums of smaps fields. Linux only; stateless and thread-safe.
 */
public final class ProcMaps {

    /**
     * One mapping.
     *
     * @param start its first address
     * @param end the address after its last
     * @param permissions as the kernel prints them, e.g. {@code rw-p}
     * @param fields its smaps fields ({@code Rss}, {@code Shared_Dirty}, ...), in bytes
     */
    public record Mapping(long start, long end, String permissions, Map<String, Long> fields) {
        /**
         * {@return the smaps field {@code name} in bytes, 0 when absent}
         *
         * @param name the field, without its colon
         */
        public long field(String name) {
            return fields.getOrDefault(name, 0L);
        }
    }

    private ProcMaps() {}

    /** {@return whether this process can read its own mappings} (Linux) */
    public static boolean available() {
        return Files.isReadable(Path.of("/proc/self/smaps"));
    }

    /**
     * {@return the bytes of {@code [address, address + byteSize)} that some mapping covers}
     *
     * @param address the first address
     * @param byteSize the length, in bytes
     */
    public static long mappedBytes(long address, long byteSize) {
        long end = address + byteSize;
        long mapped = 0;
        for (Mapping m : read()) {
            long from = Math.max(m.start(), address);
            long to = Math.min(m.end(), end);
            if (from < to) {
                mapped += to - from;
            }
        }
        return mapped;
    }

    /**
     * {@return every mapping of this process, in address order}
     *
     * @throws UncheckedIOException if {@code /proc/self/smaps} cannot be read
     */
    public static List<Mapping> read() {
        try {
            List<Mapping> mappings = new ArrayList<>();
            Mapping last = null;
            for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
                String[] words = line.trim().split("\\s+");
                if (words.length >= 2 && words[0].contains("-") && words[1].length() == 4) {
                    String[] range = words[0].split("-");
                    last = new Mapping(Long.parseUnsignedLong(range[0], 16), Long.parseUnsignedLong(range[1], 16),
                            words[1], new HashMap<>());
                    mappings.add(last);
                } else if (last != null && words.length == 3 && words[0].endsWith(":") && words[2].equals("kB")) {
                    last.fields().put(words[0].substring(0, words[0].length() - 1), Long.parseLong(words[1]) * 1024);
                }
            }
            return mappings;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@return the permissions of every byte of {@code [start, end)} as runs {@code "perm:bytes"}}, e.g.
     * {@code [---p:65536, rw-p:65536, ---p:6442385408]}, adjacent mappings of equal permissions joined and
     * holes shown as {@code hole}
     *
     * @param start the first address
     * @param end the address after the last
     */
    public static List<String> permissions(long start, long end) {
        List<String> runs = new ArrayList<>();
        String[] run = {null};
        long[] runBytes = {0};
        long at = start;
        for (Mapping m : read()) {
            if (m.end() <= at || m.start() >= end) {
                continue;
            }
            if (m.start() > at) {
                piece(runs, run, runBytes, "hole", m.start() - at);
                at = m.start();
            }
            long to = Math.min(m.end(), end);
            piece(runs, run, runBytes, m.permissions(), to - at);
            at = to;
        }
        if (at < end) {
            piece(runs, run, runBytes, "hole", end - at);
        }
        if (run[0] != null) {
            runs.add(run[0] + ":" + runBytes[0]);
        }
        return runs;
    }

    private static void piece(List<String> runs, String[] run, long[] runBytes, String permissions, long bytes) {
        if (permissions.equals(run[0])) {
            runBytes[0] += bytes;
            return;
        }
        if (run[0] != null) {
            runs.add(run[0] + ":" + runBytes[0]);
        }
        run[0] = permissions;
        runBytes[0] = bytes;
    }

    /**
     * {@return the sum of smaps field {@code name} over mappings overlapping {@code [start, end)}, in bytes}
     *
     * @param start the first address
     * @param end the address after the last
     * @param name the field, without its colon (e.g. {@code Rss})
     */
    public static long sum(long start, long end, String name) {
        long total = 0;
        for (Mapping m : read()) {
            if (m.end() > start && m.start() < end) {
                total += m.field(name);
            }
        }
        return total;
    }
}
