package dev.pagealloc.linux;

import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Units;
import dev.pagealloc.platform.support.MapsLine;
import dev.pagealloc.testkit.KernelView;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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

    /**
     * {@inheritDoc} Asks the kernel for just the mappings in the range ({@code PROCMAP_QUERY},
     * Linux 6.11) where it can, else reads all of {@code /proc/self/maps}.
     */
    @Override
    public List<Mapping> mappings(long address, long byteSize) {
        long end = address + byteSize;
        List<Mapping> runs = new ArrayList<>();
        Optional<ProcMapQuery> query = ProcMapQuery.instance();
        if (query.isEmpty()) {
            return mappingsFromText(address, byteSize);
        }
        for (long cursor = address; Long.compareUnsigned(cursor, end) < 0; ) {
            Optional<long[]> vma = query.get().at(cursor);
            if (vma.isEmpty() || Long.compareUnsigned(vma.get()[0], end) >= 0) {
                break;
            }
            long flags = vma.get()[2];
            add(runs, vma.get()[0], vma.get()[1], address, end, protection((flags & ProcMapQuery.READABLE) != 0,
                    (flags & ProcMapQuery.WRITABLE) != 0, (flags & ProcMapQuery.EXECUTABLE) != 0));
            cursor = vma.get()[1];
        }
        return runs;
    }

    /**
     * {@return {@link #mappings} read from the text of {@code /proc/self/maps}}
     *
     * @param address the first address
     * @param byteSize the length, in bytes
     */
    List<Mapping> mappingsFromText(long address, long byteSize) {
        long end = address + byteSize;
        List<Mapping> runs = new ArrayList<>();
        for (String line : lines("/proc/self/maps")) {
            MapsLine mapping = MapsLine.parse(line);
            if (Long.compareUnsigned(mapping.end(), address) > 0 && Long.compareUnsigned(mapping.start(), end) < 0) {
                add(runs, mapping.start(), mapping.end(), address, end, protection(mapping.permissions()));
            }
        }
        return runs;
    }

    /** Adds a mapping clipped to {@code [address, end)}, merged with the previous run when it continues it. */
    private static void add(List<Mapping> runs, long first, long last, long address, long end, Protection protection) {
        if (protection == null) {
            return; // rwx: reported by writableExecutableMappings(), never as a run
        }
        long start = Math.max(first, address);
        long stop = Math.min(last, end);
        Mapping previous = runs.isEmpty() ? null : runs.getLast();
        if (previous != null && previous.end() == start && previous.protection() == protection) {
            runs.set(runs.size() - 1, new Mapping(previous.start(), stop, protection));
        } else {
            runs.add(new Mapping(start, stop, protection));
        }
    }

    @Override
    public List<String> writableExecutableMappings() {
        return lines("/proc/self/maps").stream().filter(l -> {
            String p = MapsLine.parse(l).permissions();
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
        if (kernel.getMempolicy(node, null, 0, page, LinuxAbi.MPOL_F_NODE | LinuxAbi.MPOL_F_ADDR) != 0) {
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
        if (kernel.getMempolicy(mode, nodemask, nodemask.length * 64L + 1, address, LinuxAbi.MPOL_F_ADDR) != 0) {
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
            MapsLine mapping = MapsLine.parse(line);
            if (mapping != null) {
                boolean overlaps = Long.compareUnsigned(mapping.end(), address) > 0
                        && Long.compareUnsigned(mapping.start(), address + byteSize) < 0;
                current = overlaps ? new Smaps(mapping.start(), mapping.end(), mapping.permissions(), new HashMap<>(),
                        Set.of()) : null;
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
                String kilobytes = line.substring(field.length() + 1).replace("kB", "").strip();
                return OptionalLong.of(Long.parseLong(kilobytes) * 1024);
            }
        }
        return OptionalLong.empty();
    }

    private static Protection protection(String permissions) {
        return protection(permissions.charAt(0) == 'r', permissions.charAt(1) == 'w', permissions.charAt(2) == 'x');
    }

    private static Protection protection(boolean read, boolean write, boolean execute) {
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

    private static List<String> lines(String file) {
        try {
            return Files.readAllLines(Path.of(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
