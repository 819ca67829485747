package dev.pagealloc.api;

import dev.pagealloc.internal.ReservingPageAllocator;
import dev.pagealloc.spi.PlatformProvider;
import java.lang.foreign.MemorySegment;
import java.util.Objects;
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
    private MemoryBudget budget;
    private boolean bestEffort;
    private ViewSharing viewSharing = ViewSharing.CONFINED;
    private MemorySegment staticBuffer;
    private GuardVerification guardVerification = GuardVerification.ON_DEALLOCATE;

    PageAllocatorBuilder() {}

    /**
     * Uses the provider named {@code name}, overriding the {@code pagealloc.platform} property.
     *
     * @param name a provider name, e.g. {@code linux} or {@code embedded}
     * @return this builder
     */
    public PageAllocatorBuilder withPlatform(String name) {
        this.platform = Objects.requireNonNull(name, "name");
        return this;
    }

    /**
     * Uses {@code provider} directly instead of looking one up (tests over simulated kernels).
     *
     * @param provider the provider
     * @return this builder
     */
    public PageAllocatorBuilder withProvider(PlatformProvider provider) {
        this.provider = Objects.requireNonNull(provider, "provider");
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
     */
    public PageAllocatorBuilder withHugePages(HugePages hugePages) {
        this.hugePages = Objects.requireNonNull(hugePages, "hugePages");
        return this;
    }

    /**
     * Chooses where the kernel places pages.
     *
     * @param numaPolicy the policy
     * @return this builder
     */
    public PageAllocatorBuilder withNumaPolicy(NumaPolicy numaPolicy) {
        this.numaPolicy = Objects.requireNonNull(numaPolicy, "numaPolicy");
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
     * Turns hardware memory tagging on for committed pages.
     *
     * @param memoryTagging the mode and tag mask
     * @return this builder
     */
    public PageAllocatorBuilder withMemoryTagging(MemoryTagging memoryTagging) {
        this.memoryTagging = Objects.requireNonNull(memoryTagging, "memoryTagging");
        return this;
    }

    /**
     * Charges every committed byte to {@code budget}.
     *
     * @param budget the budget, shareable between allocators
     * @return this builder
     */
    public PageAllocatorBuilder withBudget(MemoryBudget budget) {
        this.budget = Objects.requireNonNull(budget, "budget");
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
     */
    public PageAllocatorBuilder withViewSharing(ViewSharing viewSharing) {
        this.viewSharing = Objects.requireNonNull(viewSharing, "viewSharing");
        return this;
    }

    /**
     * Gives the embedded provider the buffer it manages: all its regions live inside it.
     *
     * <p>The buffer must be a native, writable, page-aligned segment: views of a heap array could not
     * be invalidated, so the embedded provider refuses heap segments. The caller keeps the buffer's
     * arena open while the allocator or any view over it is in use; closing it earlier makes every
     * view throw {@link IllegalStateException}.
     *
     * @param buffer the buffer; native, writable, aligned to the embedded page (4 KiB)
     * @return this builder
     */
    public PageAllocatorBuilder withStaticBuffer(MemorySegment buffer) {
        this.staticBuffer = Objects.requireNonNull(buffer, "buffer");
        return this;
    }

    /**
     * Chooses when software-checked guards (the embedded provider's canaries) are verified.
     *
     * @param guardVerification on demand, on deallocate (default), or on every operation
     * @return this builder
     */
    public PageAllocatorBuilder withGuardVerification(GuardVerification guardVerification) {
        this.guardVerification = Objects.requireNonNull(guardVerification, "guardVerification");
        return this;
    }

    /**
     * Checks the configuration, selects and opens the platform provider, and checks the options
     * against what the platform can do.
     *
     * @return the allocator
     * @throws IllegalArgumentException if a value is out of range, with the argument and its limit,
     *     or a NUMA node does not exist and best effort was not asked for (with it, the NUMA policy
     *     is downgraded to none and the region reports why)
     * @throws IllegalStateException if the named provider is missing or unsupported; the message
     *     lists the providers found
     * @throws UnsupportedOptionException if the platform cannot honour an option and best effort
     *     was not asked for
     */
    public PageAllocator build() {
        if (pageBytes <= 0 || Long.bitCount(pageBytes) != 1) {
            throw new IllegalArgumentException("build(pageBytes=" + pageBytes + "): not a positive power of two");
        }
        if (maximumPages.isPresent() && maximumPages.getAsLong() < 1) {
            throw new IllegalArgumentException("build(maximumPages=" + maximumPages.getAsLong() + "): must be at least 1");
        }
        if (guardBeforeBytes.orElse(0) < 0 || guardAfterBytes.orElse(0) < 0) {
            throw new IllegalArgumentException("build(guardBeforeBytes=" + guardBeforeBytes.orElse(0) + ", guardAfterBytes="
                    + guardAfterBytes.orElse(0) + "): guard sizes must not be negative");
        }
        AllocatorConfig config = new AllocatorConfig(
                Optional.ofNullable(platform),
                Optional.ofNullable(provider),
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
                Optional.ofNullable(budget),
                bestEffort,
                viewSharing,
                Optional.ofNullable(staticBuffer),
                guardVerification);
        return ReservingPageAllocator.open(config);
    }
}
