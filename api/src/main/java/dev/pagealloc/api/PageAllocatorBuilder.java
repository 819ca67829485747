package dev.pagealloc.api;

import dev.pagealloc.internal.Arguments;
import dev.pagealloc.internal.ReservingPageAllocator;
import dev.pagealloc.internal.observe.LeakDetector;
import dev.pagealloc.spi.NativeAccess;
import dev.pagealloc.spi.PlatformProvider;
import java.lang.foreign.MemorySegment;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Configures a {@link PageAllocator}. Setters only record values; {@link #build()} checks them
 * against each other and against the platform, so every mistake is reported in one place.
 *
 * <p>Not thread-safe; the allocator it builds is.
 */
public final class PageAllocatorBuilder {
    /** The WebAssembly page, the default logical page: 64 KiB. */
    public static final long WASM_PAGE_BYTES = 64 * 1024;

    private String platform;
    private PlatformProvider provider;
    private long pageBytes = WASM_PAGE_BYTES;
    // Unset values are empty, not a sentinel: any long a caller passes must reach the checks in build().
    private OptionalLong maximumPages = OptionalLong.empty();
    private boolean guardPages = true;
    private OptionalLong guardBeforeBytes = OptionalLong.empty();
    private OptionalLong guardAfterBytes = OptionalLong.empty();
    private HugePages hugePages = HugePages.systemDefault();
    private NumaPolicy numaPolicy = NumaPolicy.none();
    private boolean populate;
    private boolean lock;
    private MemoryTagging memoryTagging = MemoryTagging.NONE;
    private MemoryPartition partition;
    private boolean bestEffort;
    private ViewSharing viewSharing = ViewSharing.CONFINED;
    private ViewQuarantine viewQuarantine = ViewQuarantine.DEFAULT;
    private MemorySegment staticBuffer;
    private GuardVerification guardVerification = GuardVerification.ON_DEALLOCATE;
    private OptionalLong mappingHeadroom = OptionalLong.empty();
    private LeakDetection leakDetection;

    PageAllocatorBuilder() {}

    /**
     * Uses the provider named {@code name}, overriding the {@code pagealloc.platform} property.
     *
     * @param name a provider name, e.g. {@code linux} or {@code embedded}
     * @return this builder
     * @throws NullPointerException if {@code name} is null
     */
    public PageAllocatorBuilder withPlatform(String name) {
        this.platform = Arguments.requireNonNullArgument(name, "withPlatform", "name");
        return this;
    }

    /**
     * Uses {@code provider} directly instead of looking one up (tests over simulated kernels).
     *
     * <p><b>Restricted.</b> This method is restricted. Restricted methods are unsafe, and, if used
     * incorrectly, might crash the JVM or result in memory corruption: regions' segments cover whatever
     * addresses the provider's primitives return, and pagealloc builds them with its own native access.
     * The caller's module must have native access, checked as {@link NativeAccess} describes; unlike the
     * JDK under its default {@code --illegal-native-access=warn}, a caller in another module without it
     * gets an exception, not a warning.
     *
     * @param provider the provider
     * @return this builder
     * @throws IllegalCallerException if the caller's module has no native access; the message names the
     *     module and the {@code --enable-native-access} value that grants it
     * @throws NullPointerException if {@code provider} is null
     */
    public PageAllocatorBuilder withProvider(PlatformProvider provider) {
        NativeAccess.ensureCallerHasNativeAccess("PageAllocatorBuilder.withProvider");
        this.provider = Arguments.requireNonNullArgument(provider, "withProvider", "provider");
        return this;
    }

    /**
     * Sets the logical page unit of page counts: 64 KiB for WebAssembly (the default), the system
     * page, a huge page, or 1 byte (the custom-page-sizes proposal).
     *
     * @param pageBytes the unit, in bytes; a positive power of two
     * @return this builder
     */
    public PageAllocatorBuilder withPageBytes(long pageBytes) {
        this.pageBytes = pageBytes;
        return this;
    }

    /**
     * Sets the maximum that {@link PageAllocator#allocate(long)} reserves.
     *
     * @param maximumPages the maximum, in logical pages; {@code >= 1}
     * @return this builder
     */
    public PageAllocatorBuilder withMaximumPages(long maximumPages) {
        this.maximumPages = OptionalLong.of(maximumPages);
        return this;
    }

    /**
     * Turns guard regions on (one base page before and after each region, the default) or off.
     *
     * @param enabled whether regions get guards
     * @return this builder
     */
    public PageAllocatorBuilder withGuardPages(boolean enabled) {
        this.guardPages = enabled;
        return this;
    }

    /**
     * Turns guard regions on with explicit sizes, e.g. 2 GiB after a 32-bit WebAssembly memory so
     * that any 32-bit offset from any in-bounds address faults.
     *
     * @param beforeBytes guard before the base, in bytes; a non-negative multiple of the base page
     * @param afterBytes guard after the maximum, in bytes; a non-negative multiple of the base page
     * @return this builder
     */
    public PageAllocatorBuilder withGuardBytes(long beforeBytes, long afterBytes) {
        this.guardPages = true;
        this.guardBeforeBytes = OptionalLong.of(beforeBytes);
        this.guardAfterBytes = OptionalLong.of(afterBytes);
        return this;
    }

    /**
     * Chooses the huge pages backing regions.
     *
     * @param hugePages none, the system default, transparent, or explicit of one size
     * @return this builder
     * @throws NullPointerException if {@code hugePages} is null
     */
    public PageAllocatorBuilder withHugePages(HugePages hugePages) {
        this.hugePages = Arguments.requireNonNullArgument(hugePages, "withHugePages", "hugePages");
        return this;
    }

    /**
     * Chooses where the kernel places pages.
     *
     * @param numaPolicy the policy
     * @return this builder
     * @throws NullPointerException if {@code numaPolicy} is null
     */
    public PageAllocatorBuilder withNumaPolicy(NumaPolicy numaPolicy) {
        this.numaPolicy = Arguments.requireNonNullArgument(numaPolicy, "withNumaPolicy", "numaPolicy");
        return this;
    }

    /**
     * Binds pages to one node; same as {@code withNumaPolicy(NumaPolicy.bind(node))}.
     *
     * @param node the node number
     * @return this builder
     */
    public PageAllocatorBuilder withNumaNode(int node) {
        return withNumaPolicy(NumaPolicy.bind(node));
    }

    /**
     * Prefaults pages when they are committed ({@code MADV_POPULATE_WRITE}, else touching them).
     * Where the platform cannot ({@link Capabilities#prefaulting()}), {@link #build()} refuses it,
     * or with best effort downgrades it.
     *
     * @param populate whether to prefault
     * @return this builder
     */
    public PageAllocatorBuilder withPopulate(boolean populate) {
        this.populate = populate;
        return this;
    }

    /**
     * Locks committed pages in memory ({@code mlock}, {@code VirtualLock}). Where the platform
     * cannot ({@link Capabilities#pageLocking()}: the embedded provider), {@link #build()} refuses
     * it, or with best effort downgrades it and {@link Region#appliedOptions()} says so.
     *
     * @param lock whether to lock
     * @return this builder
     */
    public PageAllocatorBuilder withLock(boolean lock) {
        this.lock = lock;
        return this;
    }

    /**
     * Turns memory tagging on: where tags live ({@link MemoryTagging#policy()}), the check mode and the tag
     * mask. A region's {@link TagSpace} sets and reads its tags.
     *
     * @param memoryTagging the policy, mode and tag mask
     * @return this builder
     * @throws NullPointerException if {@code memoryTagging} is null
     */
    public PageAllocatorBuilder withMemoryTagging(MemoryTagging memoryTagging) {
        this.memoryTagging = Arguments.requireNonNullArgument(memoryTagging, "withMemoryTagging", "memoryTagging");
        return this;
    }

    /**
     * Turns memory tagging on with every non-zero tag allowed: {@code withMemoryTagging(MemoryTagging.of(policy,
     * mode))}. {@link MemoryTagging.TaggingPolicy#SOFTWARE} works everywhere;
     * {@link MemoryTagging.TaggingPolicy#HARDWARE} is refused at {@link #build()} without ARM MTE;
     * {@link MemoryTagging.TaggingPolicy#BEST_AVAILABLE} takes the hardware where it exists, else software.
     *
     * @param policy where tags live
     * @param mode how mismatches are reported; ignored for {@link MemoryTagging.TaggingPolicy#OFF}
     * @return this builder
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code mode} is {@link MemoryTagging.TagCheckMode#NONE} and
     *     {@code policy} is not OFF
     */
    public PageAllocatorBuilder withMemoryTagging(MemoryTagging.TaggingPolicy policy, MemoryTagging.TagCheckMode mode) {
        Arguments.requireNonNullArgument(policy, "withMemoryTagging", "policy");
        Arguments.requireNonNullArgument(mode, "withMemoryTagging", "mode");
        this.memoryTagging = MemoryTagging.of(policy, mode);
        return this;
    }

    /**
     * Charges every committed byte to {@code budget}: the same as {@link #withPartition}.
     *
     * @param budget the budget, shareable between allocators
     * @return this builder
     * @throws NullPointerException if {@code budget} is null
     */
    public PageAllocatorBuilder withBudget(MemoryBudget budget) {
        this.partition = Arguments.requireNonNullArgument(budget, "withBudget", "budget");
        return this;
    }

    /**
     * Creates the allocator inside {@code partition}: every committed byte is charged to it and its
     * ancestors. A partition that locks ({@link MemoryPartition#locksPages()}) makes the allocator lock its
     * pages, as {@link #withLock} does; one with a guaranteed minimum ({@link MemoryPartition#prefaultsPages()})
     * makes it prefault them where the platform can.
     *
     * @param partition the partition, shareable between allocators
     * @return this builder
     * @throws NullPointerException if {@code partition} is null
     */
    public PageAllocatorBuilder withPartition(MemoryPartition partition) {
        this.partition = Arguments.requireNonNullArgument(partition, "withPartition", "partition");
        return this;
    }

    /**
     * Downgrades options the platform cannot honour (reported by {@link Region#appliedOptions()})
     * instead of refusing them with {@link UnsupportedOptionException}.
     *
     * @param bestEffort whether to downgrade
     * @return this builder
     */
    public PageAllocatorBuilder withBestEffort(boolean bestEffort) {
        this.bestEffort = bestEffort;
        return this;
    }

    /**
     * Chooses which threads may use region views, and so the cost of invalidating them.
     *
     * @param viewSharing confined (default) or shared
     * @return this builder
     * @throws NullPointerException if {@code viewSharing} is null
     */
    public PageAllocatorBuilder withViewSharing(ViewSharing viewSharing) {
        this.viewSharing = Arguments.requireNonNullArgument(viewSharing, "withViewSharing", "viewSharing");
        return this;
    }

    /**
     * Chooses how {@link ViewSharing#SHARED} views of deallocated regions are retired: in batches,
     * one shared arena close for many deallocations (see {@link ViewQuarantine}, which also says what
     * a stale view reads meanwhile), or at once with {@link ViewQuarantine#NONE}.
     *
     * @param viewQuarantine the policy; {@link ViewQuarantine#DEFAULT} unless set
     * @return this builder
     * @throws NullPointerException if {@code viewQuarantine} is null
     */
    public PageAllocatorBuilder withViewQuarantine(ViewQuarantine viewQuarantine) {
        this.viewQuarantine = Arguments.requireNonNullArgument(viewQuarantine, "withViewQuarantine", "viewQuarantine");
        return this;
    }

    /**
     * Gives the embedded provider the buffer it manages: all its regions live inside it.
     *
     * <p>The embedded provider accepts, at {@link #build()}, only a native, writable segment aligned
     * to its 4 KiB page, of at most 2<sup>30</sup> pages, <b>of the global scope</b> (for example
     * {@code Arena.global().allocate(bytes, 4096)}), and no byte of which is in use by another
     * reachable embedded allocator; anything else is refused with {@link IllegalArgumentException}.
     * Region views are made from the buffer's addresses and must never outlive its memory, and
     * only a global scope is never closed: confined, shared and automatic arenas, and views of
     * other regions, are refused. A buffer made from a raw address must stay valid and accessible
     * for the life of the process.
     *
     * <p><b>Restricted.</b> This method is restricted. Restricted methods are unsafe, and, if used
     * incorrectly, might crash the JVM or result in memory corruption: the embedded provider hands out
     * views over the buffer's raw addresses, built with pagealloc's native access, and trusts the caller
     * about what the buffer is and how long it lives. The caller's module must have native access,
     * checked as {@link NativeAccess} describes; unlike the JDK under its default
     * {@code --illegal-native-access=warn}, a caller in another module without it gets an exception, not
     * a warning.
     *
     * @param buffer the buffer; native, writable, of the global scope, aligned to 4 KiB
     * @return this builder
     * @throws IllegalCallerException if the caller's module has no native access; the message names the
     *     module and the {@code --enable-native-access} value that grants it
     * @throws NullPointerException if {@code buffer} is null
     */
    public PageAllocatorBuilder withStaticBuffer(MemorySegment buffer) {
        NativeAccess.ensureCallerHasNativeAccess("PageAllocatorBuilder.withStaticBuffer");
        this.staticBuffer = Arguments.requireNonNullArgument(buffer, "withStaticBuffer", "buffer");
        return this;
    }

    /**
     * Chooses when software-checked guards (the embedded provider's canaries) are verified.
     *
     * @param guardVerification on demand, on deallocate (default), or on every operation
     * @return this builder
     * @throws NullPointerException if {@code guardVerification} is null
     */
    public PageAllocatorBuilder withGuardVerification(GuardVerification guardVerification) {
        this.guardVerification =
                Arguments.requireNonNullArgument(guardVerification, "withGuardVerification", "guardVerification");
        return this;
    }

    /**
     * Sets how many memory mappings pagealloc leaves free for the JVM and the rest of the process,
     * where the kernel limits them (Linux {@code vm.max_map_count}, 65530 by default). An operation
     * that could take the process's mapping count past {@code limit - mappingHeadroom} is refused with
     * {@link MappingLimitExceededException} before any system call. The default is an eighth of the
     * limit (8191 of 65530): the JVM needs mappings for every new thread stack, metaspace and code
     * cache growth, and aborts when the kernel refuses one. Platforms without such a limit ignore it.
     *
     * @param mappingHeadroom the mappings to keep free; {@code >= 0} and below the platform's limit,
     *     checked at {@link #build()}
     * @return this builder
     */
    public PageAllocatorBuilder withMappingHeadroom(long mappingHeadroom) {
        this.mappingHeadroom = OptionalLong.of(mappingHeadroom);
        return this;
    }

    /**
     * Chooses how regions that become unreachable without {@link Region#deallocate()} are watched and
     * reported; see {@link LeakDetection}. Overrides the {@value LeakDetection#PROPERTY} system property.
     *
     * @param leakDetection disabled, sampled (the default) or paranoid
     * @return this builder
     * @throws NullPointerException if {@code leakDetection} is null
     */
    public PageAllocatorBuilder withLeakDetection(LeakDetection leakDetection) {
        this.leakDetection = Arguments.requireNonNullArgument(leakDetection, "withLeakDetection", "leakDetection");
        return this;
    }

    /**
     * Checks the configuration, selects and opens the platform provider, and checks the options
     * against what the platform can do.
     *
     * <p>Refused here, because the configuration and the platform's capabilities decide them: values
     * out of range, a provider that is missing or does not support this machine, a static buffer given
     * to a provider that takes none, a huge page size the platform does not offer or transparent huge
     * pages where they are off, NUMA where the platform has none, a NUMA node that does not exist,
     * locking or prefaulting the platform cannot do, memory tagging without the hardware, and a mapping
     * headroom at or above the platform's limit. Refused only by {@link PageAllocator#allocate(long,
     * long)} and the operations that commit, because only the attempt shows them: an explicit huge page
     * pool with too few free pages (the pool changes between the probe and the commit), pages
     * {@code RLIMIT_MEMLOCK} will not let be locked, a budget, the mapping limit, and every kernel
     * refusal.
     *
     * @return the allocator
     * @throws IllegalArgumentException if a value is out of range, with the argument and its limit, the
     *     {@value LeakDetection#PROPERTY} system property names no level,
     *     or a NUMA node does not exist and best effort was not asked for (with it, the NUMA policy
     *     is downgraded to none and the region reports why)
     * @throws PlatformUnavailableException if the named provider is missing or unsupported, or none is
     *     supported; the message lists the providers found
     * @throws UnsupportedOptionException if the platform cannot honour an option and best effort
     *     was not asked for
     */
    public PageAllocator build() {
        if (pageBytes <= 0 || Long.bitCount(pageBytes) != 1) {
            throw new IllegalArgumentException("build(pageBytes=" + pageBytes + "): not a positive power of two");
        }
        if (maximumPages.isPresent() && maximumPages.getAsLong() < 1) {
            throw new IllegalArgumentException("build(maximumPages=" + maximumPages.getAsLong()
                    + "): must be at least 1");
        }
        if (mappingHeadroom.orElse(0) < 0) {
            throw new IllegalArgumentException("build(mappingHeadroom=" + mappingHeadroom.getAsLong()
                    + "): must not be negative");
        }
        if (guardBeforeBytes.orElse(0) < 0 || guardAfterBytes.orElse(0) < 0) {
            throw new IllegalArgumentException("build(guardBeforeBytes=" + guardBeforeBytes.orElse(0)
                    + ", guardAfterBytes="
                    + guardAfterBytes.orElse(0) + "): guard sizes must not be negative");
        }
        // No lambda or method reference here: the first build() of a JVM would spin a class for each.
        String platformName = provider != null ? provider.name() : platform;
        AllocatorConfig config = new AllocatorConfig(
                Optional.ofNullable(platformName),
                pageBytes,
                maximumPages,
                guardPages,
                guardBeforeBytes,
                guardAfterBytes,
                hugePages,
                numaPolicy,
                populate,
                lock,
                memoryTagging,
                Optional.ofNullable(partition),
                bestEffort,
                viewSharing,
                staticBuffer == null ? OptionalLong.empty() : OptionalLong.of(staticBuffer.byteSize()),
                guardVerification,
                mappingHeadroom,
                viewQuarantine,
                LeakDetector.level(Optional.ofNullable(leakDetection)));
        return ReservingPageAllocator.open(config, Optional.ofNullable(provider), Optional.ofNullable(staticBuffer));
    }
}
