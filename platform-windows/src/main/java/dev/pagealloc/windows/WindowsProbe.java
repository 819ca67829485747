package dev.pagealloc.windows;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.Capabilities.WxStrategy;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import oshi.SystemInfo;
import oshi.hardware.CentralProcessor;

/**
 * What this Windows machine can do, asked at run time: {@code GetSystemInfo} for the page size,
 * allocation granularity, processor architecture and the highest user address;
 * {@code GetActiveProcessorCount(ALL_PROCESSOR_GROUPS)} for the processors of every processor group
 * ({@code SYSTEM_INFO.dwNumberOfProcessors} is "The number of logical processors in the current
 * group", so it undercounts machines with more than 64);
 * {@code GetLargePageMinimum} for large pages; {@code GetNumaHighestNodeNumber} and
 * {@code GetNumaAvailableMemoryNodeEx} for NUMA nodes; OSHI for the OS description, physical memory
 * and the node of each logical processor.
 *
 * <p>Windows keeps no large-page pool (the memory manager assembles them on demand), so a large
 * page size is listed with pool counts 0 (unknown). Commit is charged at commit time
 * ({@link Capabilities.OvercommitPolicy#COMMIT_CHARGE}).
 *
 * <p>Not thread-safe; {@link WindowsVirtualMemory} probes once, when its capabilities are first asked for.
 */
final class WindowsProbe {
    /** {@code PROCESSOR_ARCHITECTURE_AMD64} = 9, {@code PROCESSOR_ARCHITECTURE_ARM64} = 12 ({@code winnt.h}). */
    private static final Map<Integer, String> ARCHITECTURES = Map.of(9, "amd64", 12, "aarch64", 0, "x86");

    /**
     * Facts OSHI knows about the host.
     *
     * @param operatingSystem the OS description, e.g. {@code Microsoft Windows 11 build 26100}
     * @param totalMemoryBytes physical memory, in bytes
     * @param cpusByNode the logical processors of each NUMA node
     */
    record HostFacts(String operatingSystem, long totalMemoryBytes, Map<Integer, List<Integer>> cpusByNode) {}

    private final Win32Kernel kernel;
    private final Supplier<Optional<HostFacts>> host;

    /**
     * Creates a probe.
     *
     * @param kernel the kernel to ask
     * @param host OSHI's facts, or empty where OSHI cannot run
     */
    WindowsProbe(Win32Kernel kernel, Supplier<Optional<HostFacts>> host) {
        this.kernel = kernel;
        this.host = host;
    }

    /**
     * The sizes opening the primitives needs, from one {@code GetSystemInfo}.
     *
     * @param pageBytes {@code dwPageSize}, in bytes
     * @param allocationGranularityBytes {@code dwAllocationGranularity}, in bytes
     * @param addressBits the width of {@code lpMaximumApplicationAddress}, in bits
     */
    record Granularity(long pageBytes, long allocationGranularityBytes, int addressBits) {}

    /** {@return the page size and allocation granularity: all that opening the primitives asks} */
    Granularity granularity() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(Win32Abi.SYSTEM_INFO_BYTES, 8);
            kernel.getSystemInfo(info);
            return new Granularity(Integer.toUnsignedLong(info.get(JAVA_INT, 4)),
                    Integer.toUnsignedLong(info.get(JAVA_INT, 40)),
                    64 - Long.numberOfLeadingZeros(info.get(JAVA_LONG, 16)));
        }
    }

    /** {@return every capability, asked now} */
    Capabilities probe() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(Win32Abi.SYSTEM_INFO_BYTES, 8);
            kernel.getSystemInfo(info);
            int architecture = Short.toUnsignedInt(info.get(JAVA_SHORT, 0));
            long pageBytes = Integer.toUnsignedLong(info.get(JAVA_INT, 4));
            long maximumAddress = info.get(JAVA_LONG, 16);
            int processors = kernel.getActiveProcessorCount(Win32Abi.ALL_PROCESSOR_GROUPS);
            if (processors == 0) {
                // Failure is documented as 0; one group's count is then the best answer left.
                processors = info.get(JAVA_INT, 32);
            }
            long granularity = Integer.toUnsignedLong(info.get(JAVA_INT, 40));
            Optional<HostFacts> facts = host.get();
            long totalMemory = facts.map(HostFacts::totalMemoryBytes).orElse(0L);
            long large = kernel.getLargePageMinimum();
            List<Capabilities.NumaNode> nodes = numaNodes(arena, processors, totalMemory, facts);
            return Capabilities.builder()
                    .platform("windows")
                    .operatingSystem(facts.map(HostFacts::operatingSystem)
                            .orElseGet(() -> System.getProperty("os.name") + " " + System.getProperty("os.version")))
                    .architecture(ARCHITECTURES.getOrDefault(architecture, "architecture " + architecture))
                    .pageBytes(pageBytes)
                    .allocationGranularityBytes(granularity)
                    .hugePageSizes(large > 0 ? List.of(new Capabilities.HugePageSize(large, 0, 0)) : List.of())
                    .transparentHugePages(Capabilities.TransparentHugePageMode.UNSUPPORTED)
                    .numaNodes(nodes)
                    .memoryTagging(false)
                    .protectionKeys(false)
                    .wxStrategies(Set.of(WxStrategy.PROTECTION_FLIP))
                    .addressBits(64 - Long.numberOfLeadingZeros(maximumAddress))
                    .overcommit(Capabilities.OvercommitPolicy.COMMIT_CHARGE)
                    .memoryLimitBytes(OptionalLong.empty())
                    .totalMemoryBytes(totalMemory)
                    .processors(processors)
                    .build();
        }
    }

    private List<Capabilities.NumaNode> numaNodes(Arena arena, int processors, long totalMemory,
            Optional<HostFacts> facts) {
        MemorySegment highest = arena.allocate(JAVA_INT);
        int last = kernel.getNumaHighestNodeNumber(highest) != 0 ? highest.get(JAVA_INT, 0) : 0;
        MemorySegment available = arena.allocate(JAVA_LONG);
        Map<Integer, List<Integer>> cpus = facts.map(HostFacts::cpusByNode).orElse(Map.of());
        List<Capabilities.NumaNode> nodes = new ArrayList<>();
        for (int node = 0; node <= last; node++) {
            long free = kernel.getNumaAvailableMemoryNodeEx((short) node, available) != 0
                    ? available.get(JAVA_LONG, 0) : 0;
            List<Integer> nodeCpus = cpus.getOrDefault(node,
                    last == 0 ? java.util.stream.IntStream.range(0, processors).boxed().toList() : List.of());
            // Windows reports free memory per node, not its size: the size is known only for a single node.
            nodes.add(new Capabilities.NumaNode(node, last == 0 ? totalMemory : 0, free, nodeCpus));
        }
        return nodes;
    }

    /** OSHI's view of the host, or empty if OSHI cannot run here. */
    static Optional<HostFacts> oshiFacts() {
        try {
            SystemInfo info = new SystemInfo();
            Map<Integer, List<Integer>> cpus = new TreeMap<>();
            for (CentralProcessor.LogicalProcessor p : info.getHardware().getProcessor().getLogicalProcessors()) {
                cpus.computeIfAbsent(p.getNumaNode(), n -> new ArrayList<>()).add(p.getProcessorNumber());
            }
            return Optional.of(new HostFacts(info.getOperatingSystem().toString(),
                    info.getHardware().getMemory().getTotal(), cpus));
        } catch (RuntimeException | LinkageError e) {
            return Optional.empty();
        }
    }
}
