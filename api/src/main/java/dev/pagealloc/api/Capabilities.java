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

        /**
         * Sets the provider's name.
         *
         * @param platform the provider's name, e.g. {@code linux}
         * @return this builder
         */
        public Builder platform(String platform) {
            this.platform = platform;
            return this;
        }

        /**
         * Sets the operating system's name and version (default: the {@code os.name} and {@code os.version}
         * properties).
         *
         * @param operatingSystem the OS name and version as the OS reports them
         * @return this builder
         */
        public Builder operatingSystem(String operatingSystem) {
            this.operatingSystem = operatingSystem;
            return this;
        }

        /**
         * Sets the CPU architecture (default: the {@code os.arch} property).
         *
         * @param architecture the CPU architecture, e.g. {@code amd64}
         * @return this builder
         */
        public Builder architecture(String architecture) {
            this.architecture = architecture;
            return this;
        }

        /**
         * Sets the base page size.
         *
         * @param pageBytes the base page size, in bytes; a power of two
         * @return this builder
         */
        public Builder pageBytes(long pageBytes) {
            this.pageBytes = pageBytes;
            return this;
        }

        /**
         * Sets the alignment of reservations (default: the page size).
         *
         * @param allocationGranularityBytes the alignment, in bytes (64 KiB on Windows); 0 for the page size
         * @return this builder
         */
        public Builder allocationGranularityBytes(long allocationGranularityBytes) {
            this.allocationGranularityBytes = allocationGranularityBytes;
            return this;
        }

        /**
         * Sets the explicit huge page sizes (default: none).
         *
         * @param hugePageSizes each size with its pool, smallest first
         * @return this builder
         */
        public Builder hugePageSizes(List<HugePageSize> hugePageSizes) {
            this.hugePageSizes = hugePageSizes;
            return this;
        }

        /**
         * Sets the transparent huge page mode (default: unsupported).
         *
         * @param transparentHugePages the mode
         * @return this builder
         */
        public Builder transparentHugePages(TransparentHugePageMode transparentHugePages) {
            this.transparentHugePages = transparentHugePages;
            return this;
        }

        /**
         * Sets the NUMA nodes (default: none listed).
         *
         * @param numaNodes the nodes with memory; one node on a uniform machine
         * @return this builder
         */
        public Builder numaNodes(List<NumaNode> numaNodes) {
            this.numaNodes = numaNodes;
            return this;
        }

        /**
         * Sets whether hardware memory tagging (ARM MTE) is available (default: no).
         *
         * @param memoryTagging {@code true} if it is
         * @return this builder
         */
        public Builder memoryTagging(boolean memoryTagging) {
            this.memoryTagging = memoryTagging;
            return this;
        }

        /**
         * Sets whether memory protection keys (x86 PKU, ARM POE) are available (default: no).
         *
         * @param protectionKeys {@code true} if they are
         * @return this builder
         */
        public Builder protectionKeys(boolean protectionKeys) {
            this.protectionKeys = protectionKeys;
            return this;
        }

        /**
         * Sets the ways executable memory can be written here (default: none).
         *
         * @param wxStrategies the strategies
         * @return this builder
         */
        public Builder wxStrategies(Set<WxStrategy> wxStrategies) {
            this.wxStrategies = wxStrategies;
            return this;
        }

        /**
         * Sets the width of a user virtual address (default: 48).
         *
         * @param addressBits the width, in bits
         * @return this builder
         */
        public Builder addressBits(int addressBits) {
            this.addressBits = addressBits;
            return this;
        }

        /**
         * Sets the kernel's overcommit policy (default: unknown).
         *
         * @param overcommit the policy
         * @return this builder
         */
        public Builder overcommit(OvercommitPolicy overcommit) {
            this.overcommit = overcommit;
            return this;
        }

        /**
         * Sets the container (cgroup) memory limit (default: none).
         *
         * @param memoryLimitBytes the limit, in bytes, if one is set
         * @return this builder
         */
        public Builder memoryLimitBytes(OptionalLong memoryLimitBytes) {
            this.memoryLimitBytes = memoryLimitBytes;
            return this;
        }

        /**
         * Sets the physical memory size.
         *
         * @param totalMemoryBytes physical memory, in bytes
         * @return this builder
         */
        public Builder totalMemoryBytes(long totalMemoryBytes) {
            this.totalMemoryBytes = totalMemoryBytes;
            return this;
        }

        /**
         * Sets the number of logical processors (default: {@link Runtime#availableProcessors()}).
         *
         * @param processors logical processors
         * @return this builder
         */
        public Builder processors(int processors) {
            this.processors = processors;
            return this;
        }

        /**
         * Sets the protections pages can have (default: all).
         *
         * @param protections the protections {@link Region#protect} can give
         * @return this builder
         */
        public Builder protections(Set<Protection> protections) {
            this.protections = protections;
            return this;
        }

        /**
         * Sets whether committed pages can be locked in memory (default: yes).
         *
         * @param pageLocking {@code true} if they can
         * @return this builder
         */
        public Builder pageLocking(boolean pageLocking) {
            this.pageLocking = pageLocking;
            return this;
        }

        /**
         * Sets whether committed pages can be prefaulted (default: yes).
         *
         * @param prefaulting {@code true} if they can
         * @return this builder
         */
        public Builder prefaulting(boolean prefaulting) {
            this.prefaulting = prefaulting;
            return this;
        }

        /**
         * Builds the capabilities.
         *
         * @return the capabilities
         * @throws NullPointerException if no platform name was set
         * @throws IllegalArgumentException if the page size is not a power of two, or the allocation
         *     granularity is smaller than the page size or not a multiple of it
         */
        public Capabilities build() {
            return new Capabilities(platform, operatingSystem, architecture, pageBytes,
                    allocationGranularityBytes == 0 ? pageBytes : allocationGranularityBytes,
                    hugePageSizes, transparentHugePages, numaNodes, memoryTagging, protectionKeys,
                    wxStrategies, addressBits, overcommit, memoryLimitBytes, totalMemoryBytes, processors,
                    protections, pageLocking, prefaulting);
        }
    }
}
