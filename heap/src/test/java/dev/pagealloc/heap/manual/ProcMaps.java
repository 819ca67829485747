package dev.pagealloc.heap.manual;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The kernel's view of the address space: {@code /proc/self/maps} (proc(5)), Linux only. */
final class ProcMaps {
    private static final Path MAPS = Path.of("/proc/self/maps");

    private ProcMaps() {
    }

    static boolean available() {
        return Files.isReadable(MAPS);
    }

    /** {@return the bytes of {@code [address, address + byteSize)} that some mapping covers} */
    static long mappedBytes(long address, long byteSize) {
        long end = address + byteSize;
        long mapped = 0;
        try {
            for (String line : Files.readAllLines(MAPS)) {
                // "start-end perms offset dev inode path", addresses in hex (proc(5))
                int dash = line.indexOf('-');
                int space = line.indexOf(' ');
                long start = Long.parseUnsignedLong(line.substring(0, dash), 16);
                long stop = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
                long from = Math.max(start, address);
                long to = Math.min(stop, end);
                if (from < to) {
                    mapped += to - from;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return mapped;
    }
}
