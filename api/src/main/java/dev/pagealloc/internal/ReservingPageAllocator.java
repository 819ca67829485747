package dev.pagealloc.internal;

import dev.pagealloc.api.AllocatorConfig;
import dev.pagealloc.api.AllocatorStatistics;
import dev.pagealloc.api.AppliedOptions;
import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.Capabilities.TransparentHugePageMode;
import dev.pagealloc.api.FeatureSupport;
import dev.pagealloc.api.HugePages;
import dev.pagealloc.api.KernelException;
import dev.pagealloc.api.MemoryPartition;
import dev.pagealloc.api.MemoryTagging;
import dev.pagealloc.api.NumaPolicy;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.SystemCallError;
import dev.pagealloc.api.Units;
import dev.pagealloc.api.UnsupportedOptionException;
import dev.pagealloc.internal.observe.AllocateEvent;
import dev.pagealloc.internal.observe.RegionEvents;
import dev.pagealloc.spi.Backing;
import dev.pagealloc.spi.FeatureAnswer;
import dev.pagealloc.spi.NativeAccess;
import dev.pagealloc.spi.PlatformFeature;
import dev.pagealloc.spi.PlatformProvider;
import dev.pagealloc.spi.PlatformRequest;
import dev.pagealloc.spi.SystemCallException;
import dev.pagealloc.spi.VirtualMemory;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The one {@link PageAllocator}: argument checks, layout, best-effort downgrades and statistics
 * written once above a platform's {@link VirtualMemory}.
 */
public final class ReservingPageAllocator implements PageAllocator {
    private final String platform;
    private final VirtualMemory memory;
    private final AllocatorConfig config;
    private final long basePageBytes;
    private final long guardBeforeBytes;
    private final long guardAfterBytes;
    /** The backing every region asks for first, after build-time downgrades. */
    private final Backing plannedBacking;
    private final boolean plannedPopulate;
    private final boolean plannedLock;
    private final List<String> plannedDowngrades;
    final StatisticsCounters statistics = new StatisticsCounters();
    final MappingGuard mappings;
    /** The shared view arenas of this allocator's regions, and the quarantine of dead ones. */
    final ViewArenas viewArenas;

    /**
     * Selects and opens the provider {@code config} asks for. The provider and the buffer are kept out
     * of {@code config}, which any holder of the allocator can read: only the backend sees them.
     *
     * @param config the checked configuration
     * @param given the provider given directly ({@code withProvider}), if any
     * @param staticBuffer the caller's static buffer, if any
     * @return the allocator
     */
    public static PageAllocator open(AllocatorConfig config, Optional<PlatformProvider> given,
            Optional<MemorySegment> staticBuffer) {
        PlatformProvider provider = ProviderSelection.select(config, given);
        ProviderSelection.checkStaticBuffer(config, provider);
        PlatformRequest request = staticBuffer.isPresent() ? PlatformRequest.withStaticBuffer(staticBuffer.get())
                : PlatformRequest.NONE;
        return new ReservingPageAllocator(provider.name(), provider.open(request), config);
    }

    /**
     * Creates an allocator over {@code memory}, checking the options against its capabilities.
     *
     * @param platform the provider's name
     * @param memory the platform primitives
     * @param config the configuration
     * @throws IllegalArgumentException if a guard size is misaligned, or a NUMA node does not exist and
     *     best effort is off
     * @throws UnsupportedOptionException if an option is unavailable and best effort is off
     */
    public ReservingPageAllocator(String platform, VirtualMemory memory, AllocatorConfig config) {
        this.platform = platform;
        this.memory = memory;
        this.config = config;
        this.basePageBytes = memory.pageBytes();
        this.guardBeforeBytes = config.guardPages() ? config.guardBeforeBytes().orElse(basePageBytes) : 0;
        this.guardAfterBytes = config.guardPages() ? config.guardAfterBytes().orElse(basePageBytes) : 0;
        if (!PageMath.isAligned(guardBeforeBytes, basePageBytes)
                || !PageMath.isAligned(guardAfterBytes, basePageBytes)) {
            throw new IllegalArgumentException("build(guardBeforeBytes=" + guardBeforeBytes + ", guardAfterBytes="
                    + guardAfterBytes + "): guard sizes must be multiples of the page size " + basePageBytes);
        }
        List<String> downgrades = new ArrayList<>();
        this.plannedBacking = new Backing(
                planHugePages(config.hugePages(), downgrades),
                planNuma(config.numaPolicy(), downgrades),
                planTagging(config.memoryTagging(), downgrades));
        this.plannedPopulate = config.populate() && (capabilities().prefaulting()
                || downgrade("build()", "populate=true", false, "platform " + platform + " cannot prefault pages",
                        downgrades))
                || partitionPrefaults(config) && capabilities().prefaulting();
        this.plannedLock = config.lock() && (capabilities().pageLocking()
                || downgrade("build()", "lock=true", false, "platform " + platform + " cannot lock pages in memory",
                        downgrades))
                || partitionLocks(config, platform, downgrades);
        this.plannedDowngrades = List.copyOf(downgrades);
        this.mappings = MappingGuard.of(memory, config.mappingHeadroom(), statistics.failures);
        this.viewArenas = new ViewArenas(config.viewQuarantine(), statistics);
    }

    private static boolean partitionPrefaults(AllocatorConfig config) {
        return config.partition().isPresent() && config.partition().get().prefaultsPages();
    }

    /**
     * {@return whether the partition makes the allocator lock pages}: it does when it or an ancestor is
     * LOCKED or NON_PAGED; where the platform cannot lock, NON_PAGED is refused always, LOCKED unless the
     * allocator or the partition is best effort.
     */
    private boolean partitionLocks(AllocatorConfig config, String platform, List<String> downgrades) {
        if (config.partition().isEmpty() || !config.partition().get().locksPages()) {
            return false;
        }
        MemoryPartition partition = config.partition().get();
        if (capabilities().pageLocking()) {
            return true;
        }
        String option = "lock=true (partition '" + partition.name() + "' is "
                + (partition.nonPaged() ? "NON_PAGED" : "LOCKED") + ")";
        String reason = "platform " + platform + " cannot lock pages in memory";
        if (partition.nonPaged() || !(config.bestEffort() || partition.bestEffort())) {
            throw new UnsupportedOptionException("build()", option, reason);
        }
        downgrades.add(option + " -> false: " + reason);
        return false;
    }

    private HugePages planHugePages(HugePages asked, List<String> downgrades) {
        // instanceof, not a pattern switch: every build() passes here, and the first switch over a sealed
        // type in a JVM bootstraps a type-switch class (SwitchBootstraps), as a lambda does.
        String problem = null;
        if (asked instanceof HugePages.Explicit(long pageBytes) && capabilities().hugePageSize(pageBytes).isEmpty()) {
            problem = "this platform offers huge page sizes " + capabilities().hugePageSizes().stream()
                    .map(h -> Units.bytes(h.pageBytes())).toList();
        } else if (asked instanceof HugePages.Transparent && !thpUsable()) {
            problem = "transparent huge pages are " + capabilities().transparentHugePages();
        }
        if (problem == null) {
            return guardable(asked, downgrades);
        }
        HugePages fallback = asked instanceof HugePages.Explicit && thpUsable() ? HugePages.transparent()
                : HugePages.systemDefault();
        return downgrade("build()", "hugePages=" + asked, fallback, problem, downgrades);
    }

    /**
     * Keeps {@code asked} only if its pages can be guarded: guards are reserved inaccessible, which some
     * backings cannot be (Windows large pages are always read-write). Decided here, from the backend's
     * {@link VirtualMemory#protectionUnsupported} answer, so no backend refuses an option while it opens.
     */
    private HugePages guardable(HugePages asked, List<String> downgrades) {
        if (guardBeforeBytes + guardAfterBytes == 0) {
            return asked;
        }
        Backing backing = new Backing(asked, NumaPolicy.none(), MemoryTagging.NONE);
        Optional<String> unsupported = memory.protectionUnsupported(Protection.NONE, backing);
        if (unsupported.isEmpty()) {
            return asked;
        }
        return downgrade("build()", "hugePages=" + asked + " with guardPages=true", HugePages.systemDefault(),
                "guard pages cannot be made inaccessible: " + unsupported.get()
                        + "; turn guard pages off to use these pages", downgrades);
    }

    private boolean thpUsable() {
        TransparentHugePageMode mode = capabilities().transparentHugePages();
        return mode == TransparentHugePageMode.ALWAYS || mode == TransparentHugePageMode.MADVISE;
    }

    private NumaPolicy planNuma(NumaPolicy asked, List<String> downgrades) {
        if (asked.nodes().isEmpty()) {
            return asked;
        }
        if (capabilities().numaNodes().isEmpty()) {
            return downgrade("build()", "numaPolicy=" + asked, NumaPolicy.none(),
                    "platform " + platform + " has no NUMA support", downgrades);
        }
        List<Integer> missing = asked.nodes().stream().filter(node -> capabilities().numaNode(node).isEmpty()).toList();
        if (missing.isEmpty()) {
            String unsupported = memory.numaPolicyUnsupported(asked).orElse(null);
            return unsupported == null ? asked
                    : downgrade("build()", "numaPolicy=" + asked, NumaPolicy.none(), unsupported, downgrades);
        }
        String reason = "NUMA node" + (missing.size() == 1 ? " " + missing.getFirst() + " does" : "s " + missing
                + " do") + " not exist; nodes: "
                + capabilities().numaNodes().stream().map(Capabilities.NumaNode::id).toList();
        if (!config.bestEffort()) {
            // Without best effort a node that does not exist is a wrong argument, as a bad page size is.
            throw new IllegalArgumentException("build(numaPolicy=" + asked + "): " + reason);
        }
        // The README promises best effort downgrades it; the whole policy goes, since a policy over
        // the remaining nodes would place pages where the caller did not ask.
        return downgrade("build()", "numaPolicy=" + asked, NumaPolicy.none(), reason, downgrades);
    }

    private MemoryTagging planTagging(MemoryTagging asked, List<String> downgrades) {
        // SOFTWARE needs nothing of the platform; BEST_AVAILABLE resolves to what the CPU has, so the region
        // reports HARDWARE or SOFTWARE and never the wish.
        MemoryTagging.TaggingPolicy policy = asked.policy();
        if (policy == MemoryTagging.TaggingPolicy.BEST_AVAILABLE) {
            return new MemoryTagging(capabilities().memoryTagging() ? MemoryTagging.TaggingPolicy.HARDWARE
                    : MemoryTagging.TaggingPolicy.SOFTWARE, asked.mode(), asked.includeMask());
        }
        if (policy != MemoryTagging.TaggingPolicy.HARDWARE || capabilities().memoryTagging()) {
            return asked;
        }
        return downgrade("build()", "memoryTagging=" + asked, MemoryTagging.NONE,
                "the CPU has no memory tagging (" + capabilities().architecture() + ")", downgrades);
    }

    private <T> T downgrade(String operation, String option, T fallback, String reason, List<String> downgrades) {
        if (!config.bestEffort()) {
            throw new UnsupportedOptionException(operation, option, reason);
        }
        downgrades.add(option + " -> " + fallback + ": " + reason);
        return fallback;
    }

    @Override
    public Region allocate(long initialPages) {
        if (initialPages < 0) {
            throw new IllegalArgumentException("allocate(initialPages=" + initialPages
                    + "): initialPages must not be negative");
        }
        if (config.maximumPages().isEmpty()) {
            if (initialPages == 0) {
                throw new IllegalArgumentException("allocate(initialPages=0): without a builder maximumPages the"
                        + " maximum is initialPages, and maximumPages must be at least 1;"
                        + " call allocate(0, maximumPages)");
            }
            return allocate(initialPages, initialPages);
        }
        long maximumPages = config.maximumPages().getAsLong();
        if (initialPages > maximumPages) {
            throw new IllegalArgumentException("allocate(initialPages=" + initialPages
                    + "): exceeds the builder's maximumPages="
                    + maximumPages);
        }
        return allocate(initialPages, maximumPages);
    }

    @Override
    public Region allocate(long initialPages, long maximumPages) {
        Operation operation = Operation.of("allocate", "initialPages", initialPages, "maximumPages", maximumPages);
        if (initialPages < 0) {
            throw new IllegalArgumentException(operation + ": initialPages must not be negative");
        }
        if (maximumPages < 1) {
            throw new IllegalArgumentException(operation + ": maximumPages must be at least 1");
        }
        if (initialPages > maximumPages) {
            throw new IllegalArgumentException(operation + ": initialPages exceeds maximumPages");
        }
        long maximumBytes = PageMath.bytes(operation, "maximumPages", maximumPages, config.pageBytes());
        try {
            return allocate(operation, initialPages, maximumPages, maximumBytes, plannedBacking, plannedDowngrades);
        } catch (HugePagesUnavailable e) {
            if (!config.bestEffort()) {
                UnsupportedOptionException refused = new UnsupportedOptionException(operation.toString(),
                        "hugePages=" + plannedBacking.hugePages(), e.reason);
                for (Throwable releaseFailure : e.getSuppressed()) {
                    refused.addSuppressed(releaseFailure);
                }
                throw refused;
            }
            return allocateWithoutHugePages(operation, initialPages, maximumPages, maximumBytes, e.reason);
        } catch (KernelException e) {
            // A platform that takes huge pages at reserve (Windows large pages) refuses there.
            if (!config.bestEffort() || plannedBacking.explicitHugePageBytes() == 0) {
                throw e;
            }
            return allocateWithoutHugePages(operation, initialPages, maximumPages, maximumBytes, e.getMessage());
        }
    }

    private Region allocateWithoutHugePages(Operation operation, long initialPages, long maximumPages,
            long maximumBytes, String reason) {
        HugePages fallback = thpUsable() ? HugePages.transparent() : HugePages.systemDefault();
        List<String> downgrades = new ArrayList<>(plannedDowngrades);
        downgrades.add("hugePages=" + plannedBacking.hugePages() + " -> " + fallback + ": " + reason);
        Backing backing = new Backing(fallback, plannedBacking.numaPolicy(), plannedBacking.memoryTagging());
        return allocate(operation, initialPages, maximumPages, maximumBytes, backing, downgrades);
    }

    /**
     * The kernel could not give the explicit huge pages a new region's initial commit needs: an
     * option that cannot be honoured now, refused or downgraded by {@link #allocate(long, long)},
     * never a bare kernel error. Internal: it never leaves this package.
     */
    static final class HugePagesUnavailable extends RuntimeException {
        private static final long serialVersionUID = 1L;
        /** The pool, its free count at the probe, the pages needed, and the kernel's words. */
        final String reason;

        HugePagesUnavailable(String reason) {
            super(reason, null, true, false); // suppression on: a failed release is added to it
            this.reason = reason;
        }
    }

    /**
     * {@return why the pool of {@code hugePageBytes} pages could not supply {@code byteLength} bytes}:
     * the pool, its free count when the platform was probed (it may have changed since), the pages
     * needed, and the kernel's refusal
     */
    String hugePagePoolShortage(long hugePageBytes, long byteLength, KernelException kernel) {
        long needed = byteLength / hugePageBytes;
        String pool = capabilities().hugePageSize(hugePageBytes)
                .map(h -> " (" + h.freePages() + " of " + h.totalPages() + " free when probed)")
                .orElse("");
        SystemCallError error = kernel.systemCallError();
        return "the pool of " + Units.bytes(hugePageBytes) + " pages" + pool + " cannot supply the " + needed
                + " page" + (needed == 1 ? "" : "s") + " needed: " + error.call() + " -> " + error.name() + " ("
                + error.code() + "): " + error.description();
    }

    private Region allocate(Operation operation, long initialPages, long maximumPages, long maximumBytes,
            Backing backing, List<String> downgrades) {
        AllocateEvent event = RegionEvents.beginAllocate();
        long granule = Math.max(basePageBytes, backing.explicitHugePageBytes());
        long alignment = Math.max(granule, memory.allocationGranularityBytes());
        long usableBytes = PageMath.roundUp(operation, maximumBytes, granule);
        // Both guards are whole granules, so that with explicit huge pages the reservation is a
        // whole number of them (Windows reserves large pages only in whole pages).
        long before = PageMath.roundUp(operation, guardBeforeBytes, granule);
        long after = PageMath.roundUp(operation, guardAfterBytes, granule);
        long usableAndBefore = PageMath.add(operation, "reservation bytes", before, usableBytes);
        long total = PageMath.add(operation, "reservation bytes", usableAndBefore, after);
        total = PageMath.roundUp(operation, total, memory.allocationGranularityBytes());
        int addressBits = memory.addressBits();
        if (addressBits < 63 && total > (1L << addressBits)) {
            throw new IllegalArgumentException(operation + ": reservation of " + total + " bytes exceeds the "
                    + addressBits + "-bit address space (" + (1L << addressBits) + " bytes)");
        }
        viewArenas.wakeCloserIfDue(); // a quarantine that aged while nothing was deallocated is closed now
        long newMappings = MappingGuard.REGION_OVERHEAD + (initialPages > 0 ? 1 : 0);
        if (!mappings.fits(newMappings)) {
            viewArenas.retireFree(); // quarantined regions hold mappings that can go before a refusal
        }
        mappings.check(operation, newMappings);
        long reservation;
        try {
            reservation = memory.reserve(total, alignment, backing);
        } catch (SystemCallException e) {
            statistics.failures.increment();
            throw kernelFailure(operation, "cannot reserve " + total + " bytes", e);
        }
        LiveReservations.add(reservation, total);
        statistics.reserved(total, 1);
        AppliedOptions applied = new AppliedOptions(backing.hugePages(), backing.numaPolicy(), plannedPopulate,
                plannedLock, backing.memoryTagging(), downgrades);
        ReservedRegion region = new ReservedRegion(this, reservation, total, reservation + before, granule,
                maximumPages, backing, applied);
        long initialBytes = PageMath.bytes(operation, "initialPages", initialPages, config.pageBytes());
        try {
            region.commitInitial(operation, initialPages, PageMath.roundUp(operation, initialBytes, granule));
        } catch (RuntimeException e) {
            region.releaseAfterFailedAllocation(e);
            throw e;
        }
        statistics.allocations.increment();
        RegionEvents.allocated(event, platform, region);
        return region;
    }

    KernelException kernelFailure(Operation operation, String failure, SystemCallException e) {
        SystemCallError error = e.error();
        return new KernelException(operation.toString(), mappings.explain(failure, error), error);
    }

    VirtualMemory memory() {
        return memory;
    }

    @Override
    public String platform() {
        return platform;
    }

    @Override
    public long pageBytes() {
        return config.pageBytes();
    }

    @Override
    public AllocatorConfig config() {
        return config;
    }

    @Override
    public Capabilities capabilities() {
        // Asked of the backend each time (it probes once, on first use), so a build that needs no
        // capability for its options probes nothing: the first build() stays cheap.
        return memory.capabilities();
    }

    @Override
    public AllocatorStatistics statistics() {
        return statistics.snapshot();
    }

    @Override
    public List<FeatureSupport> features() {
        List<FeatureSupport> features = new ArrayList<>();
        for (Class<? extends PlatformFeature> type : PlatformFeature.TYPES) {
            FeatureAnswer<? extends PlatformFeature> answer = memory.feature(type);
            features.add(new FeatureSupport(type.getSimpleName(), answer.available(), answer.reason()));
        }
        return List.copyOf(features);
    }

    @Override
    public <F extends PlatformFeature> FeatureAnswer<F> platformFeature(Class<F> type) {
        NativeAccess.ensureCallerHasNativeAccess("PageAllocator.platformFeature");
        if (type == null) {
            throw new NullPointerException("platformFeature(type=null): type must not be null");
        }
        return memory.feature(type);
    }

    @Override
    public String toString() {
        return "PageAllocator[platform=" + platform + ", pageBytes=" + config.pageBytes() + "]";
    }
}
