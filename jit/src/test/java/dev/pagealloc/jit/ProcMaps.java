package dev.pagealloc.jit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The kernel's own view of this process's mappings, from {@code /proc/self/maps} (proc(5): "address perms
 * offset dev inode pathname", perms as {@code rwxp}/{@code rwxs}), never from pagealloc's bookkeeping.
 */
final class ProcMaps {
    private ProcMaps() {}

    /**
     * One line of {@code /proc/self/maps}.
     *
     * @param start the first address
     * @param end one past the last address
     * @param perms the four permission characters, e.g. {@code r-xs}
     * @param path the pathname column, or empty
     */
    record Mapping(long start, long end, String perms, String path) {
        boolean overlaps(long address, long byteSize) {
            return start < address + byteSize && address < end;
        }

        boolean writable() {
            return perms.charAt(1) == 'w';
        }

        boolean executable() {
            return perms.charAt(2) == 'x';
        }
    }

    static List<Mapping> all() {
        try {
            return Files.readAllLines(Path.of("/proc/self/maps")).stream().map(ProcMaps::parse).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@return the mappings overlapping {@code [address, +byteSize)}} */
    static List<Mapping> overlapping(long address, long byteSize) {
        return all().stream().filter(m -> m.overlaps(address, byteSize)).toList();
    }

    /** {@return the permissions of the mapping holding {@code address}, or {@code "unmapped"}} */
    static String permsAt(long address) {
        return overlapping(address, 1).stream().map(Mapping::perms).findFirst().orElse("unmapped");
    }

    private static Mapping parse(String line) {
        String[] fields = line.trim().split("\\s+", 6);
        String[] range = fields[0].split("-");
        return new Mapping(Long.parseUnsignedLong(range[0], 16), Long.parseUnsignedLong(range[1], 16), fields[1],
                fields.length > 5 ? fields[5] : "");
    }
}
