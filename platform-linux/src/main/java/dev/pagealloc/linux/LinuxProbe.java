package dev.pagealloc.linux;

import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.Capabilities.HugePageSize;
import dev.pagealloc.api.Capabilities.NumaNode;
import dev.pagealloc.api.Capabilities.OvercommitPolicy;
import dev.pagealloc.api.Capabilities.TransparentHugePageMode;
import dev.pagealloc.api.Capabilities.WxStrategy;
import dev.pagealloc.platform.support.MapsLine;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads what this Linux machine can do from sysfs and procfs (huge page pools, the transparent
 * huge page mode, NUMA nodes, overcommit, the cgroup memory limit, CPU flags), from the C library
 * (page size, {@code AT_HWCAP2}, {@code memfd_create}), and the host facts (OS, memory, processors) from
 * {@code /etc/os-release}, {@code /proc/sys/kernel/osrelease}, {@code /proc/meminfo} and
 * {@code /proc/cpuinfo}. Not from OSHI, which reads the same files on Linux: OSHI logs through SLF4J,
 * which prints a three-line notice on stderr when the application has no SLF4J provider, and on the
 * module path OSHI (an automatic module) cannot even link to slf4j-api (an explicit module that nothing
 * requires, so it is never resolved), so its facts differed between the class and module paths.
 *
 * <p>Every file is optional: a machine that lacks one (no NUMA, no hugetlbfs, cgroup v1, a
 * container hiding {@code /sys}) gets the fact absent or at its safe default, never an exception.
 * All paths resolve under a root folder, so tests probe a fake tree.
 *
 * <p>Each call reads afresh; {@link LinuxVirtualMemory} calls {@link #probe()} once and caches it.
 * Thread-safe (no state beyond its arguments).
 */
final class LinuxProbe {
    /** Cgroup v1 reports "no limit" as a page-rounded {@code LONG_MAX}; anything this large is none. */
    private static final long CGROUP_V1_UNLIMITED = 1L << 62;
    private static final Pattern HUGE_PAGE_DIR = Pattern.compile("hugepages-(\\d{1,12})kB");
    private static final Pattern NODE_DIR = Pattern.compile("node(\\d{1,4})");
    private static final Pattern VIRTUAL_BITS = Pattern.compile("(\\d+) bits virtual");
    /** Linux hands out x86-64 addresses above 47 bits only when asked with a hint (la57). */
    private static final int X86_USER_ADDRESS_BITS = 47;
    /** The arm64 default user address width (52 bits need a hint, 39-bit kernels show in maps). */
    private static final int ARM64_USER_ADDRESS_BITS = 48;

    /**
     * The host facts: OS, memory, processors.
     *
     * @param operatingSystem the OS name and version
     * @param totalMemoryBytes physical memory, in bytes
     * @param processors logical processors
     */
    record HostFacts(String operatingSystem, long totalMemoryBytes, int processors) {}

    private final Path root;
    private final LinuxKernel kernel;
    private final String architecture;
    private final Supplier<Optional<HostFacts>> host;

    /**
     * Creates a probe.
     *
     * @param root the folder {@code /proc} and {@code /sys} are read under; {@code /} on a real system
     * @param kernel the C library
     * @param architecture {@code os.arch}: {@code amd64} or {@code aarch64}
     * @param host the host facts, or empty to read them from files (tests give fixed ones)
     */
    LinuxProbe(Path root, LinuxKernel kernel, String architecture, Supplier<Optional<HostFacts>> host) {
        this.root = root;
        this.kernel = kernel;
        this.architecture = architecture;
        this.host = host;
    }

    /**
     * {@return a probe of this machine: the real {@code /proc}, {@code /sys} and {@code /etc/os-release}}
     *
     * @param kernel the C library
     */
    static LinuxProbe ofSystem(LinuxKernel kernel) {
        return new LinuxProbe(Path.of("/"), kernel, System.getProperty("os.arch"), ProcfsFacts.INSTANCE);
    }

    /** The host facts read from files: a named class, not {@code Optional::empty}, for a cold JVM's sake. */
    private static final class ProcfsFacts implements Supplier<Optional<HostFacts>> {
        static final ProcfsFacts INSTANCE = new ProcfsFacts();

        @Override
        public Optional<HostFacts> get() {
            return Optional.empty();
        }
    }

    /** {@return every capability, read now} */
    Capabilities probe() {
        long pageBytes = kernel.sysconf(LinuxAbi.SC_PAGESIZE);
        HostFacts facts = host.get().orElseGet(this::procfsFacts);
        return Capabilities.builder()
                .platform("linux")
                .operatingSystem(facts.operatingSystem())
                .architecture(architecture)
                .pageBytes(pageBytes)
                .allocationGranularityBytes(pageBytes)
                .hugePageSizes(hugePageSizes())
                .transparentHugePages(transparentHugePages())
                .numaNodes(numaNodes())
                // Offered where the CPU has MTE (HWCAP2_MTE on arm64): commits then map PROT_MTE. Built and
                // tested against a simulated kernel only (LinuxMemoryTagging); not run on MTE hardware.
                .memoryTagging(LinuxFeatures.taggingReason(kernel, architecture) == null)
                .protectionKeys(protectionKeys())
                .wxStrategies(wxStrategies())
                .addressBits(addressBits())
                .overcommit(overcommit())
                .memoryLimitBytes(memoryLimitBytes())
                .totalMemoryBytes(facts.totalMemoryBytes())
                .processors(facts.processors())
                .build();
    }

    /** {@return each hugetlb page size with its pool ({@code nr_hugepages}, {@code free_hugepages}), smallest first} */
    List<HugePageSize> hugePageSizes() {
        List<HugePageSize> sizes = new ArrayList<>();
        for (Path dir : list("sys/kernel/mm/hugepages")) {
            Matcher m = HUGE_PAGE_DIR.matcher(dir.getFileName().toString());
            if (m.matches()) {
                long pageBytes = Long.parseLong(m.group(1)) * 1024;
                sizes.add(new HugePageSize(pageBytes, readLong(dir.resolve("nr_hugepages")).orElse(0),
                        readLong(dir.resolve("free_hugepages")).orElse(0)));
            }
        }
        sizes.sort(Comparator.comparingLong(HugePageSize::pageBytes));
        return sizes;
    }

    /** {@return the bracketed word of {@code transparent_hugepage/enabled}, or UNSUPPORTED} */
    TransparentHugePageMode transparentHugePages() {
        String enabled = read("sys/kernel/mm/transparent_hugepage/enabled").orElse("");
        Matcher m = Pattern.compile("\\[(\\w+)]").matcher(enabled);
        if (!m.find()) {
            return TransparentHugePageMode.UNSUPPORTED;
        }
        return switch (m.group(1)) {
            case "always" -> TransparentHugePageMode.ALWAYS;
            case "madvise" -> TransparentHugePageMode.MADVISE;
            case "never" -> TransparentHugePageMode.NEVER;
            default -> TransparentHugePageMode.UNSUPPORTED;
        };
    }

    /** {@return the NUMA nodes that have memory, with their total and free bytes and CPUs, by id} */
    List<NumaNode> numaNodes() {
        List<NumaNode> nodes = new ArrayList<>();
        for (Path dir : list("sys/devices/system/node")) {
            Matcher m = NODE_DIR.matcher(dir.getFileName().toString());
            if (!m.matches()) {
                continue;
            }
            String meminfo = readPath(dir.resolve("meminfo")).orElse("");
            long total = kilobytes(meminfo, "MemTotal");
            if (total > 0) {
                nodes.add(new NumaNode(Integer.parseInt(m.group(1)), total, kilobytes(meminfo, "MemFree"),
                        cpuList(readPath(dir.resolve("cpulist")).orElse(""))));
            }
        }
        nodes.sort(Comparator.comparingInt(NumaNode::id));
        return nodes;
    }

    /** {@return whether x86 protection keys are usable: {@code pku} and {@code ospke} in the CPU flags} */
    boolean protectionKeys() {
        if (!"amd64".equals(architecture)) {
            return false;
        }
        List<String> flags = cpuinfoField("flags").map(f -> List.of(f.split("\\s+"))).orElse(List.of());
        return flags.contains("pku") && flags.contains("ospke");
    }

    /** {@return protection flips always; dual mapping when {@code memfd_create} works} */
    Set<WxStrategy> wxStrategies() {
        Set<WxStrategy> strategies = EnumSet.of(WxStrategy.PROTECTION_FLIP);
        int fd = kernel.memfdCreate("pagealloc-probe", LinuxAbi.MFD_CLOEXEC);
        if (fd >= 0) {
            kernel.close(fd);
            strategies.add(WxStrategy.DUAL_MAPPING);
        }
        return strategies;
    }

    /**
     * {@return the width of the addresses mmap hands out without a hint, in bits}: on x86-64 one
     * less than the CPU's virtual address bits (the upper half is the kernel's), at most 47; on
     * arm64 the width of the top of the stack mapping, else 48
     */
    int addressBits() {
        // Loops, not streams and lambdas: the first allocate of a JVM asks for this (see LinuxVirtualMemory).
        if ("amd64".equals(architecture)) {
            Optional<String> sizes = cpuinfoField("address sizes");
            if (sizes.isEmpty()) {
                return X86_USER_ADDRESS_BITS;
            }
            Matcher m = VIRTUAL_BITS.matcher(sizes.get());
            return m.find() ? Math.min(Integer.parseInt(m.group(1)) - 1, X86_USER_ADDRESS_BITS)
                    : X86_USER_ADDRESS_BITS;
        }
        Optional<String> maps = read("proc/self/maps");
        String stack = maps.isPresent() ? lineEndingWith(maps.get(), "[stack]") : null;
        if (stack == null) {
            return ARM64_USER_ADDRESS_BITS;
        }
        MapsLine mapping = MapsLine.parse(stack);
        return mapping == null ? ARM64_USER_ADDRESS_BITS : Long.SIZE - Long.numberOfLeadingZeros(mapping.end() - 1);
    }

    /** {@return the first line of {@code text} that ends with {@code suffix}, or null} */
    private static String lineEndingWith(String text, String suffix) {
        for (int start = 0; start < text.length();) {
            int newline = text.indexOf('\n', start);
            int end = newline < 0 ? text.length() : newline;
            if (text.startsWith(suffix, end - suffix.length()) && end - suffix.length() >= start) {
                return text.substring(start, end);
            }
            start = end + 1;
        }
        return null;
    }

    /**
     * {@return {@code /proc/sys/vm/max_map_count}, the most mappings (VMAs) the kernel lets a process
     * have}, or empty if it cannot be read. Documented in the kernel's
     * {@code Documentation/admin-guide/sysctl/vm.rst} ("max_map_count", default 65530).
     */
    OptionalLong maxMapCount() {
        return readLong(Path.of("proc/sys/vm/max_map_count"));
    }

    /**
     * {@return the mappings this process has now: the lines of {@code /proc/self/maps}}, one per VMA
     * ({@code Documentation/filesystems/proc.rst}); costs a read of the whole file, about 80 bytes a mapping
     *
     * @throws UncheckedIOException if the file cannot be read
     */
    long mappingCount() {
        try (InputStream in = Files.newInputStream(root.resolve("proc/self/maps"))) {
            byte[] buffer = new byte[64 * 1024];
            long lines = 0;
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                for (int i = 0; i < n; i++) {
                    if (buffer[i] == '\n') {
                        lines++;
                    }
                }
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException("mappingCount(): cannot read /proc/self/maps", e);
        }
    }

    /** {@return {@code /proc/sys/vm/overcommit_memory}: 0 heuristic, 1 always, 2 never} */
    OvercommitPolicy overcommit() {
        return switch ((int) readLong(Path.of("proc/sys/vm/overcommit_memory")).orElse(-1)) {
            case 0 -> OvercommitPolicy.HEURISTIC;
            case 1 -> OvercommitPolicy.ALWAYS;
            case 2 -> OvercommitPolicy.NEVER;
            default -> OvercommitPolicy.UNKNOWN;
        };
    }

    /**
     * {@return the tightest memory limit of this process's cgroup and its ancestors}, or empty
     * when none is set or none can be read: cgroup v2 {@code memory.max} ("max" is none), in
     * {@code /sys/fs/cgroup} or, on hybrid systems, {@code /sys/fs/cgroup/unified}; else cgroup v1
     * {@code memory.limit_in_bytes}
     */
    OptionalLong memoryLimitBytes() {
        List<String> lines = read("proc/self/cgroup").map(s -> s.lines().toList()).orElse(List.of());
        for (String line : lines) {
            String[] parts = line.split(":", 3);
            if (parts.length == 3 && parts[0].equals("0") && parts[1].isEmpty()) {
                OptionalLong v2 = limitUpTree(parts[2], "sys/fs/cgroup", "memory.max");
                if (v2.isPresent()) {
                    return v2;
                }
                OptionalLong hybrid = limitUpTree(parts[2], "sys/fs/cgroup/unified", "memory.max");
                if (hybrid.isPresent()) {
                    return hybrid;
                }
            }
        }
        for (String line : lines) {
            String[] parts = line.split(":", 3);
            if (parts.length == 3 && List.of(parts[1].split(",")).contains("memory")) {
                return limitUpTree(parts[2], "sys/fs/cgroup/memory", "memory.limit_in_bytes");
            }
        }
        return OptionalLong.empty();
    }

    private OptionalLong limitUpTree(String cgroup, String mount, String file) {
        long tightest = Long.MAX_VALUE;
        for (Path dir = Path.of(cgroup.startsWith("/") ? cgroup : "/" + cgroup); dir != null; dir = dir.getParent()) {
            String relative = dir.toString().substring(1);
            Optional<String> value = read(mount + (relative.isEmpty() ? "" : "/" + relative) + "/" + file)
                    .map(String::strip);
            if (value.isPresent() && !value.get().equals("max")) {
                try {
                    long limit = Long.parseLong(value.get());
                    if (limit < CGROUP_V1_UNLIMITED) {
                        tightest = Math.min(tightest, limit);
                    }
                } catch (NumberFormatException e) {
                    // Not a number: no limit we can state.
                }
            }
        }
        return tightest == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(tightest);
    }

    /**
     * {@return the host facts from files}: the distribution's {@code PRETTY_NAME} ({@code os-release(5)})
     * with the kernel release, else the JVM's {@code os.name} and {@code os.version}; {@code MemTotal};
     * the {@code processor} entries of {@code /proc/cpuinfo} (every logical processor of the machine, as
     * OSHI counted them), else the processors available to the JVM
     */
    private HostFacts procfsFacts() {
        long total = kilobytes(read("proc/meminfo").orElse(""), "MemTotal");
        Optional<String> release = read("proc/sys/kernel/osrelease").map(String::strip).filter(v -> !v.isEmpty());
        String os = read("etc/os-release").flatMap(text -> text.lines()
                        .filter(l -> l.startsWith("PRETTY_NAME="))
                        .map(l -> l.substring("PRETTY_NAME=".length()).strip().replaceAll("^\"|\"$", ""))
                        .filter(v -> !v.isEmpty())
                        .findFirst())
                .map(name -> name + " (Linux " + release.orElse(System.getProperty("os.version")) + ")")
                .orElse(System.getProperty("os.name") + " " + release.orElse(System.getProperty("os.version")));
        long cpus = read("proc/cpuinfo").map(text -> text.lines()
                .filter(l -> l.startsWith("processor") && l.indexOf(':') > 0
                        && l.substring(0, l.indexOf(':')).strip().equals("processor"))
                .count()).orElse(0L);
        return new HostFacts(os, total, cpus > 0 ? (int) cpus : Runtime.getRuntime().availableProcessors());
    }

    // ---- parsing ----

    /** {@return the value of the first {@code key: value} line of {@code /proc/cpuinfo} with that key} */
    private Optional<String> cpuinfoField(String key) {
        Optional<String> text = read("proc/cpuinfo");
        if (text.isEmpty()) {
            return Optional.empty();
        }
        String cpuinfo = text.get();
        for (int start = 0; start < cpuinfo.length();) {
            int newline = cpuinfo.indexOf('\n', start);
            int end = newline < 0 ? cpuinfo.length() : newline;
            if (cpuinfo.startsWith(key, start)) {
                String line = cpuinfo.substring(start, end);
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).strip().equals(key)) {
                    return Optional.of(line.substring(colon + 1).strip());
                }
            }
            start = end + 1;
        }
        return Optional.empty();
    }

    /**
     * {@return the page size in the process's auxiliary vector, or empty if {@code auxv} cannot be read
     * or lacks it} The vector is pairs of native-endian {@code unsigned long}s, type then value, ended by
     * {@code AT_NULL} (proc(5), {@code /proc/pid/auxv}); {@code AT_PAGESZ} is what glibc's
     * {@code sysconf(_SC_PAGESIZE)} returns ({@code GLRO(dl_pagesize)}, set from it in
     * {@code _dl_aux_init}, {@code elf/dl-support.c}). Read as a file, it costs the first allocator no
     * downcall, whose linking dominated the first {@code build()}.
     *
     * @param auxv the file, {@code /proc/self/auxv} on a real system
     */
    static OptionalLong auxvPageBytes(Path auxv) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(auxv);
        } catch (IOException | SecurityException e) {
            return OptionalLong.empty();
        }
        ByteBuffer vector = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
        while (vector.remaining() >= 2 * Long.BYTES) {
            long type = vector.getLong();
            long value = vector.getLong();
            if (type == 0) {
                break;
            }
            if (type == LinuxAbi.AT_PAGESZ && value > 0 && Long.bitCount(value) == 1) {
                return OptionalLong.of(value);
            }
        }
        return OptionalLong.empty();
    }

    /**
     * {@return the {@code key: N kB} figure of a meminfo text, in bytes, or 0}
     *
     * @param meminfo the text of a {@code meminfo} file
     * @param key the field, e.g. {@code MemTotal}
     */
    static long kilobytes(String meminfo, String key) {
        Matcher m = Pattern.compile("\\b" + key + ":\\s*(\\d{1,15})\\s*kB").matcher(meminfo);
        return m.find() ? Long.parseLong(m.group(1)) * 1024 : 0;
    }

    /**
     * {@return the CPUs of a sysfs cpu list such as {@code 0-3,8,10-11}}, or none if it is malformed
     *
     * @param text the list
     */
    static List<Integer> cpuList(String text) {
        List<Integer> cpus = new ArrayList<>();
        try {
            for (String part : text.strip().split(",")) {
                if (part.isEmpty()) {
                    continue;
                }
                int dash = part.indexOf('-');
                int first = Integer.parseInt(dash < 0 ? part : part.substring(0, dash));
                int last = dash < 0 ? first : Integer.parseInt(part.substring(dash + 1));
                for (int cpu = first; cpu <= last; cpu++) {
                    cpus.add(cpu);
                }
            }
        } catch (NumberFormatException e) {
            return List.of(); // not a cpu list: the CPUs are unknown, not guessed
        }
        return cpus;
    }

    private Optional<String> read(String relative) {
        return readPath(root.resolve(relative));
    }

    private OptionalLong readLong(Path path) {
        Optional<String> text = readPath(path.isAbsolute() ? path : root.resolve(path));
        try {
            return text.isPresent() ? OptionalLong.of(Long.parseLong(text.get().strip())) : OptionalLong.empty();
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    private static Optional<String> readPath(Path path) {
        // One read from offset 0, not Files.readString: that sizes its buffer by the file's size, which
        // procfs reports as 0, reads one byte, then reads again at offset 1, where a sysctl file such as
        // max_map_count answers end-of-file (__do_proc_dointvec in kernel/sysctl.c returns nothing when
        // *ppos != 0), so "65530" came back as "6".
        try (InputStream in = Files.newInputStream(path)) {
            return Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException | SecurityException e) {
            return Optional.empty();
        }
    }

    private List<Path> list(String relative) {
        try (Stream<Path> entries = Files.list(root.resolve(relative))) {
            return entries.sorted().toList();
        } catch (IOException | SecurityException e) {
            return List.of();
        }
    }
}
