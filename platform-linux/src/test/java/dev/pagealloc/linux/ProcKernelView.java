package dev.pagealloc.linux;

import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Units;
import dev.pagealloc.testkit.KernelView;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The Linux kernel's own view of this process: {@code /proc/self/maps} for protections,
 * {@code /proc/self/smaps} for huge pages and flags, {@code /proc/self/status} for RSS and locked
 * memory, {@code mincore} for residency and {@code get_mempolicy} for NUMA placement. Never the
 * allocator's bookkeeping. Each call reads the kernel afresh; not thread-safe, and needs not be.
 */
final class ProcKernelView implements KernelView {
    private final LinuxKernel kernel = FfmLinuxKernel.INSTANCE;
    private final long pageBytes = kernel.sysconf(LinuxAbi.SC_PAGESIZE);

    /**
     * One {@code /proc/self/smaps} entry.
     *
     * @param start the first address
     * @param end one past the last address
     * @param permissions the {@code rwxp} column
     * @param kilobytes each {@code Name: N kB} field, e.g. {@code AnonHugePages}, {@code KernelPageSize}
     * @param vmFlags the {@code VmFlags} words, e.g. {@code hg} (MADV_HUGEPAGE), {@code nh} (MADV_NOHUGEPAGE)
     */
    record Smaps(long start, long end, String permissions, Map<String, Long> kilobytes, Set<String> vmFlags) {
        long kilobytes(String field) {
            return kilobytes.getOrDefault(field, 0L);
        }
    }

    @Override
    public List<Mapping> mappings(long address, long byteSize) {
        long end = address + byteSize;
        List<Mapping> runs = new ArrayList<>();
        for (String line : lines("/proc/self/maps")) {
            long[] range = range(line);
            if (Long.compareUnsigned(range[1], address) <= 0 || Long.compareUnsigned(range[0], end) >= 0) {
                continue;
            }
            Protection protection = protection(permissions(line));
            if (protection == null) {
                continue; // rwx: reported by writableExecutableMappings(), never as a run
            }
            long start = Math.max(range[0], address);
            long stop = Math.min(range[1], end);
            Mapping last = runs.isEmpty() ? null : runs.getLast();
            if (last != null && last.end() == start && last.protection() == protection) {
                runs.set(runs.size() - 1, new Mapping(last.start(), stop, protection));
            } else {
                runs.add(new Mapping(start, stop, protection));
            }
        }
        return runs;
    }

    @Override
    public List<String> writableExecutableMappings() {
        return lines("/proc/self/maps").stream().filter(l -> {
            String p = permissions(l);
            return p.charAt(1) == 'w' && p.charAt(2) == 'x';
        }).toList();
    }

    @Override
    public OptionalLong residentBytes(long address, long byteSize) {
        byte[] pages = new byte[(int) Math.ceilDiv(byteSize, pageBytes)];
        if (kernel.mincore(address, byteSize, pages) != 0) {
            int errno = kernel.errno();
            throw new IllegalStateException("mincore(" + Units.hex(address) + ", " + byteSize + ") -> "
                    + LinuxAbi.errnoName(errno) + " (" + errno + "): " + kernel.strerror(errno));
        }
        long resident = 0;
        for (byte page : pages) {
            resident += page & 1;
        }
        return OptionalLong.of(resident * pageBytes);
    }

    /**
     * {@inheritDoc} Empty for a page that is not resident: {@code get_mempolicy} would fault it
     * in (as the zero page) and report where that lives.
     */
    @Override
    public OptionalInt numaNodeOf(long address) {
        long page = address & -pageBytes;
        if (residentBytes(page, pageBytes).orElse(0) == 0) {
            return OptionalInt.empty();
        }
        int[] node = new int[1];
        if (kernel.get_mempolicy(node, null, 0, page, LinuxAbi.MPOL_F_NODE | LinuxAbi.MPOL_F_ADDR) != 0) {
            return OptionalInt.empty();
        }
        return OptionalInt.of(node[0]);
    }

    /**
     * {@return the NUMA policy mode ({@code MPOL_*}) and node mask the kernel holds for the mapping
     * at {@code address}}, as {@code [mode, mask word 0]}
     *
     * @param address an address in a mapping
     */
    long[] policyOf(long address) {
        int[] mode = new int[1];
        long[] nodemask = new long[16];
        if (kernel.get_mempolicy(mode, nodemask, nodemask.length * 64L + 1, address, LinuxAbi.MPOL_F_ADDR) != 0) {
            int errno = kernel.errno();
            throw new IllegalStateException("get_mempolicy(MPOL_F_ADDR, " + Units.hex(address) + ") -> "
                    + LinuxAbi.errnoName(errno));
        }
        return new long[] {mode[0], nodemask[0]};
    }

    @Override
    public OptionalLong mappingCount() {
        return OptionalLong.of(lines("/proc/self/maps").size());
    }

    @Override
    public OptionalLong residentSetBytes() {
        return statusKilobytes("VmRSS");
    }

    /** {@return {@code VmLck} of {@code /proc/self/status}: memory locked with mlock, in bytes} */
    OptionalLong lockedBytes() {
        return statusKilobytes("VmLck");
    }

    /**
     * {@return the {@code /proc/self/smaps} entries overlapping {@code [address, address + byteSize)}}
     *
     * @param address the first address
     * @param byteSize the length, in bytes
     */
    List<Smaps> smaps(long address, long byteSize) {
        List<Smaps> entries = new ArrayList<>();
        Smaps current = null;
        for (String line : lines("/proc/self/smaps")) {
            if (Character.digit(line.charAt(0), 16) >= 0 && line.indexOf('-') > 0 && line.indexOf('-') < line.indexOf(' ')) {
                long[] range = range(line);
                boolean overlaps = Long.compareUnsigned(range[1], address) > 0
                        && Long.compareUnsigned(range[0], address + byteSize) < 0;
                current = overlaps ? new Smaps(range[0], range[1], permissions(line), new HashMap<>(), Set.of()) : null;
                if (current != null) {
                    entries.add(current);
                }
            } else if (current != null && line.startsWith("VmFlags:")) {
                Smaps done = new Smaps(current.start(), current.end(), current.permissions(), current.kilobytes(),
                        Set.of(line.substring("VmFlags:".length()).strip().split("\\s+")));
                entries.set(entries.size() - 1, done);
                current = null;
            } else if (current != null && line.endsWith(" kB")) {
                int colon = line.indexOf(':');
                current.kilobytes().put(line.substring(0, colon),
                        Long.parseLong(line.substring(colon + 1, line.length() - 3).strip()));
            }
        }
        return entries;
    }

    private OptionalLong statusKilobytes(String field) {
        for (String line : lines("/proc/self/status")) {
            if (line.startsWith(field + ":")) {
                return OptionalLong.of(Long.parseLong(line.substring(field.length() + 1).replace("kB", "").strip()) * 1024);
            }
        }
        return OptionalLong.empty();
    }

    private static Protection protection(String permissions) {
        boolean read = permissions.charAt(0) == 'r';
        boolean write = permissions.charAt(1) == 'w';
        boolean execute = permissions.charAt(2) == 'x';
        if (write && execute) {
            return null;
        }
        if (execute) {
            return Protection.READ_EXECUTE;
        }
        if (write) {
            return Protection.READ_WRITE;
        }
        return read ? Protection.READ : Protection.NONE;
    }

    private static long[] range(String line) {
        int dash = line.indexOf('-');
        int space = line.indexOf(' ');
        return new long[] {Long.parseUnsignedLong(line, 0, dash, 16), Long.parseUnsignedLong(line, dash + 1, space, 16)};
    }

    private static String permissions(String line) {
        int space = line.indexOf(' ');
        return line.substring(space + 1, space + 5);
    }

    private static List<String> lines(String file) {
        try {
            return Files.readAllLines(Path.of(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
