package dev.pagealloc.api;

import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

/**
 * What the running platform can do, probed at run time (never assumed from the OS name).
 *
 * <p>Immutable and thread-safe. Figures that change (free huge pages, free node memory) are those
 * of the moment of the probe.
 *
 * @param platform the provider's name, e.g. {@code linux}
 * @param operatingSystem the OS name and version as the OS reports them
 * @param architecture the CPU architecture, e.g. {@code amd64}
 * @param pageBytes the base page size, in bytes
 * @param allocationGranularityBytes the alignment of reservations, in bytes (64 KiB on Windows)
 * @param hugePageSizes each explicit huge page size with its pool, smallest first
 * @param transparentHugePages the transparent huge page mode
 * @param numaNodes the NUMA nodes with memory; one node on a uniform machine
 * @param memoryTagging whether hardware memory tagging (ARM MTE) is available
 * @param protectionKeys whether memory protection keys (x86 PKU, ARM POE) are available
 * @param wxStrategies the ways executable memory can be written here
 * @param addressBits the width of a user virtual address, in bits
 * @param overcommit the kernel's overcommit policy
 * @param memoryLimitBytes the container (cgroup) memory limit, if one is set, in bytes
 * @param totalMemoryBytes physical memory, in bytes
 * @param processors logical processors
 * @param protections the protections {@link Region#protect} can give pages here; a protection
 *     outside this set is refused before anything changes (the embedded buffer cannot execute)
 * @param pageLocking whether committed pages can be locked in memory
 *     ({@link PageAllocatorBuilder#withLock(boolean)})
 * @param prefaulting whether committed pages can be prefaulted
 *     ({@link PageAllocatorBuilder#withPopulate(boolean)})
 */
public record Capabilities(
        String platform,
        String operatingSystem,
        String architecture,
        long pageBytes,
        long allocationGranularityBytes,
        List<HugePageSize> hugePageSizes,
        TransparentHugePageMode transparentHugePages,
        List<NumaNode> numaNodes,
        boolean memoryTagging,
        boolean protectionKeys,
        Set<WxStrategy> wxStrategies,
        int addressBits,
        OvercommitPolicy overcommit,
        OptionalLong memoryLimitBytes,
        long totalMemoryBytes,
        int processors,
        Set<Protection> protections,
        boolean pageLocking,
        boolean prefaulting) {

    /** Copies the collections and checks the sizes. */
    public Capabilities {
        if (platform == null) {
            throw new NullPointerException("Capabilities(platform=null): platform must not be null");
        }
        hugePageSizes = List.copyOf(hugePageSizes);
        numaNodes = List.copyOf(numaNodes);
        // An EnumSet, not Set.copyOf: Set.of's iteration order changes from one JVM to the next, so the
        // same machine printed different capabilities in two runs.
        wxStrategies = wxStrategies.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(wxStrategies));
        protections = protections.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(protections));
        if (pageBytes <= 0 || Long.bitCount(pageBytes) != 1) {
            throw new IllegalArgumentException("Capabilities(pageBytes=" + pageBytes + "): not a power of two");
        }
        if (allocationGranularityBytes < pageBytes || allocationGranularityBytes % pageBytes != 0) {
            throw new IllegalArgumentException("Capabilities(allocationGranularityBytes=" + allocationGranularityBytes
                    + "): not a multiple of pageBytes=" + pageBytes);
        }
    }

    /**
     * {@return the pool of explicit huge pages of {@code pageBytes}, if the platform has that size}
     *
     * @param pageBytes a huge page size, in bytes
     */
    public java.util.Optional<HugePageSize> hugePageSize(long pageBytes) {
        return hugePageSizes.stream().filter(h -> h.pageBytes() == pageBytes).findFirst();
    }

    /**
     * {@return the node numbered {@code id}, if it exists}
     *
     * @param id a node number
     */
    public java.util.Optional<NumaNode> numaNode(int id) {
        return numaNodes.stream().filter(n -> n.id() == id).findFirst();
    }

    /** {@return a builder for backends assembling a probe} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * One explicit huge page size and its pool.
     *
     * @param pageBytes the size, in bytes
     * @param totalPages pages in the pool
     * @param freePages pages free in the pool at the probe
     */
    public record HugePageSize(long pageBytes, long totalPages, long freePages) {}

    /**
     * One NUMA node.
     *
     * @param id the node number
     * @param totalBytes memory on the node, in bytes
     * @param freeBytes memory free at the probe, in bytes
     * @param cpus the logical processors on the node
     */
    public record NumaNode(int id, long totalBytes, long freeBytes, List<Integer> cpus) {
        /** Copies the processor list. */
        public NumaNode {
            cpus = List.copyOf(cpus);
        }
    }

    /** The transparent huge page mode ({@code /sys/kernel/mm/transparent_hugepage/enabled}). */
    public enum TransparentHugePageMode {
        /** Every eligible anonymous range may get huge pages. */
        ALWAYS,
        /** Only ranges advised {@code MADV_HUGEPAGE}. */
        MADVISE,
        /** Never. */
        NEVER,
        /** The platform has no transparent huge pages. */
        UNSUPPORTED
    }

    /** The kernel's overcommit policy ({@code /proc/sys/vm/overcommit_memory}). */
    public enum OvercommitPolicy {
        /** Mode 0: obvious overcommits refused. */
        HEURISTIC,
        /** Mode 1: always overcommit. */
        ALWAYS,
        /** Mode 2: strict accounting; {@code MAP_NORESERVE} is ignored. */
        NEVER,
        /** Commit is explicit and charged at commit time (Windows). */
        COMMIT_CHARGE,
        /** Not known on this platform. */
        UNKNOWN
    }

    /** A way of writing code and then running it without a page ever being writable and executable. */
    public enum WxStrategy {
        /** Write while read-write, then {@code mprotect} to read-execute. */
        PROTECTION_FLIP,
        /** Two mappings of one memory file: one read-write, one read-execute. */
        DUAL_MAPPING,
        /**
         * macOS {@code MAP_JIT} with the per-thread {@code pthread_jit_write_protect_np} switch. Never
         * reported under HotSpot: the switch covers HotSpot's own {@code MAP_JIT} code cache too, so a
         * Java thread that flips it returns into code it can no longer execute and the JVM dies (see
         * the macOS module's {@code MacJitMemory}). Kept so that a runtime without a {@code MAP_JIT}
         * code cache of its own can name it.
         */
        PER_THREAD_TOGGLE
    }

    /** Assembles a {@link Capabilities}; not thread-safe. */
    public static final class Builder {
        private String platform;
        private String operatingSystem = System.getProperty("os.name") + " " + System.getProperty("os.version");
        private String architecture = System.getProperty("os.arch");
        private long pageBytes;
        private long allocationGranularityBytes;
        private List<HugePageSize> hugePageSizes = List.of();
        private TransparentHugePageMode transparentHugePages = TransparentHugePageMode.UNSUPPORTED;
        private List<NumaNode> numaNodes = List.of();
        private boolean memoryTagging;
        private boolean protectionKeys;
        private Set<WxStrategy> wxStrategies = Set.of();
        private int addressBits = 48;
        private OvercommitPolicy overcommit = OvercommitPolicy.UNKNOWN;
        private OptionalLong memoryLimitBytes = OptionalLong.empty();
        private long totalMemoryBytes;
        private int processors = Runtime.getRuntime().availableProcessors();
        // Defaults are what an OS backend offers, so only a backend that lacks one says so.
        private Set<Protection> protections = EnumSet.allOf(Protection.class);
        private boolean pageLocking = true;
        private boolean prefaulting = true;

        private Builder() {}

        /** @param v the provider name @return this */
        public Builder platform(String v) { platform = v; return this; }
        /** @param v OS name and version @return this */
        public Builder operatingSystem(String v) { operatingSystem = v; return this; }
        /** @param v CPU architecture @return this */
        public Builder architecture(String v) { architecture = v; return this; }
        /** @param v base page size, bytes @return this */
        public Builder pageBytes(long v) { pageBytes = v; return this; }
        /** @param v reservation alignment, bytes @return this */
        public Builder allocationGranularityBytes(long v) { allocationGranularityBytes = v; return this; }
        /** @param v huge page pools @return this */
        public Builder hugePageSizes(List<HugePageSize> v) { hugePageSizes = v; return this; }
        /** @param v THP mode @return this */
        public Builder transparentHugePages(TransparentHugePageMode v) { transparentHugePages = v; return this; }
        /** @param v NUMA nodes @return this */
        public Builder numaNodes(List<NumaNode> v) { numaNodes = v; return this; }
        /** @param v MTE present @return this */
        public Builder memoryTagging(boolean v) { memoryTagging = v; return this; }
        /** @param v protection keys present @return this */
        public Builder protectionKeys(boolean v) { protectionKeys = v; return this; }
        /** @param v W^X strategies @return this */
        public Builder wxStrategies(Set<WxStrategy> v) { wxStrategies = v; return this; }
        /** @param v user address width, bits @return this */
        public Builder addressBits(int v) { addressBits = v; return this; }
        /** @param v overcommit policy @return this */
        public Builder overcommit(OvercommitPolicy v) { overcommit = v; return this; }
        /** @param v container limit, bytes @return this */
        public Builder memoryLimitBytes(OptionalLong v) { memoryLimitBytes = v; return this; }
        /** @param v physical memory, bytes @return this */
        public Builder totalMemoryBytes(long v) { totalMemoryBytes = v; return this; }
        /** @param v logical processors @return this */
        public Builder processors(int v) { processors = v; return this; }
        /** @param v protections pages can have (default: all) @return this */
        public Builder protections(Set<Protection> v) { protections = v; return this; }
        /** @param v whether pages can be locked (default: true) @return this */
        public Builder pageLocking(boolean v) { pageLocking = v; return this; }
        /** @param v whether pages can be prefaulted (default: true) @return this */
        public Builder prefaulting(boolean v) { prefaulting = v; return this; }

        /** {@return the capabilities} @throws IllegalArgumentException if sizes are inconsistent */
        public Capabilities build() {
            return new Capabilities(platform, operatingSystem, architecture, pageBytes,
                    allocationGranularityBytes == 0 ? pageBytes : allocationGranularityBytes,
                    hugePageSizes, transparentHugePages, numaNodes, memoryTagging, protectionKeys,
                    wxStrategies, addressBits, overcommit, memoryLimitBytes, totalMemoryBytes, processors,
                    protections, pageLocking, prefaulting);
        }
    }
}
