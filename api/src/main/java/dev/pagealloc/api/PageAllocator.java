package dev.pagealloc.api;

import dev.pagealloc.internal.ProviderSelection;
import dev.pagealloc.spi.FeatureAnswer;
import dev.pagealloc.spi.PlatformFeature;
import java.util.List;

/**
 * Hands out {@link Region}s: reservations of address space that commit pages as they grow and
 * never move.
 *
 * {@snippet :
 * PageAllocator allocator = PageAllocator.builder()
 *         .withPageBytes(64 * 1024)      // WebAssembly pages
 *         .withGuardPages(true)
 *         .build();
 * try (Region region = allocator.allocate(1, 16)) {   // 64 KiB committed, 1 MiB reserved
 *     region.segment().set(ValueLayout.JAVA_INT, 0, 42);
 *     region.grow(3);                                 // same base, 256 KiB committed
 * }
 * }
 *
 * <p>Thread-safe: one allocator serves many threads and many regions.
 */
public interface PageAllocator {

    /** {@return a builder with the defaults: 64 KiB pages, guard pages, no huge pages, no NUMA policy} */
    static PageAllocatorBuilder builder() {
        return new PageAllocatorBuilder();
    }

    /**
     * {@return every platform provider found, whether it supports this platform, and why}
     *
     * @throws java.util.ServiceConfigurationError if a provider cannot be loaded
     */
    static List<ProviderStatus> providers() {
        return ProviderSelection.statuses();
    }

    /**
     * Reserves {@code maximumPages} pages plus guard regions, all inaccessible, then commits the
     * first {@code initialPages} readable and writable, reading zero.
     *
     * @param initialPages pages committed now; {@code 0 <= initialPages <= maximumPages}
     * @param maximumPages pages reserved; {@code >= 1}
     * @return the region
     * @throws IllegalArgumentException if a count is negative, {@code initialPages > maximumPages},
     *     {@code maximumPages == 0}, or the byte size overflows {@code long} or the address space
     * @throws UnsupportedOptionException if an option cannot be honoured now and best effort was not
     *     asked for: explicit huge pages the kernel cannot supply for the initial pages (an empty
     *     pool; the message names the pool, its free count when the platform was probed, the pages
     *     needed and the kernel's refusal); nothing stays reserved
     * @throws BudgetExceededException if the budget cannot take the initial pages
     * @throws MappingLimitExceededException if the new region could leave the process fewer than the
     *     {@linkplain PageAllocatorBuilder#withMappingHeadroom(long) mapping headroom}; checked before any
     *     system call
     * @throws KernelException if the kernel refuses the reservation or the commit; nothing stays reserved
     */
    Region allocate(long initialPages, long maximumPages);

    /**
     * Same as {@code allocate(initialPages, max)} where {@code max} is the builder's
     * {@linkplain PageAllocatorBuilder#withMaximumPages(long) maximum}, or {@code initialPages} if
     * none was set.
     *
     * @apiNote Without a builder maximum, {@code allocate(0)} is {@code allocate(0, 0)} and refused:
     *     a region that can hold no page is of no use. A WebAssembly memory of minimum 0 says how
     *     far it may grow, {@code allocate(0, maximum)}.
     * @param initialPages pages committed now
     * @return the region
     * @throws IllegalArgumentException as {@link #allocate(long, long)}, if {@code initialPages}
     *     passes the builder's maximum, and if {@code initialPages == 0} without a builder maximum
     * @throws UnsupportedOptionException as {@link #allocate(long, long)}
     * @throws BudgetExceededException as {@link #allocate(long, long)}
     * @throws KernelException as {@link #allocate(long, long)}
     */
    Region allocate(long initialPages);

    /**
     * Same as {@code region.grow(additionalPages)}.
     *
     * @param region a region of this allocator
     * @param additionalPages pages to add
     * @return the size before the call, in pages
     * @throws NullPointerException if {@code region} is null
     * @see Region#grow(long) the other exceptions
     */
    default long grow(Region region, long additionalPages) {
        if (region == null) {
            throw new NullPointerException("grow(region=null, additionalPages=" + additionalPages
                    + "): region must not be null");
        }
        return region.grow(additionalPages);
    }

    /**
     * Same as {@code region.protect(byteOffset, byteLength, protection)}.
     *
     * @param region a region of this allocator
     * @param byteOffset the first byte, from the base
     * @param byteLength the length, in bytes
     * @param protection the new protection
     * @throws NullPointerException if {@code region} or {@code protection} is null
     * @see Region#protect(long, long, Protection) the other exceptions
     */
    default void protect(Region region, long byteOffset, long byteLength, Protection protection) {
        if (region == null) {
            throw new NullPointerException("protect(region=null, byteOffset=" + byteOffset + ", byteLength="
                    + byteLength + ", protection=" + protection + "): region must not be null");
        }
        region.protect(byteOffset, byteLength, protection);
    }

    /**
     * Same as {@code region.deallocate()}.
     *
     * @param region a region of this allocator
     * @throws NullPointerException if {@code region} is null
     * @see Region#deallocate() the other exceptions
     */
    default void deallocate(Region region) {
        if (region == null) {
            throw new NullPointerException("deallocate(region=null): region must not be null");
        }
        region.deallocate();
    }

    /** {@return the name of the platform provider in use, e.g. {@code linux}} */
    String platform();

    /** {@return the logical page unit of page counts, in bytes} */
    long pageBytes();

    /** {@return the configuration as built} */
    AllocatorConfig config();

    /**
     * {@return the platform's capabilities}
     *
     * <p>Probed once per backend, when first asked: by this call, by {@code build()} checking an option
     * that needs them, or by the first region operation that does. A build with default options probes
     * nothing, so the first allocator of a JVM starts cheaply.
     */
    Capabilities capabilities();

    /** {@return a snapshot of this allocator's counters} */
    AllocatorStatistics statistics();

    /**
     * {@return whether the platform offers each optional feature, and why or why not}, one entry per
     * {@link PlatformFeature} type in {@link PlatformFeature#TYPES} order. Safe: it names features and
     * hands none out. {@link Region#advise} is the safe way to use {@code PageAdvice}; the other features
     * act on raw addresses and are reached through {@link #platformFeature(Class)}.
     */
    List<FeatureSupport> features();

    /**
     * {@return the platform's {@code type} feature, or why it has none}: executable memory by dual
     * mapping, copy-on-write memory images, page advice, purgeable memory, hardware memory tagging, on
     * raw addresses. Absence is an answer, never an exception.
     *
     * <p><b>Restricted.</b> This method is restricted. Restricted methods are unsafe, and, if used
     * incorrectly, might crash the JVM or result in memory corruption: a feature maps, unmaps and
     * executes whatever addresses it is given. It runs only for a caller whose module has native access
     * (see {@link dev.pagealloc.spi.NativeAccess}).
     *
     * @param type a {@link PlatformFeature} type, e.g. {@code ExecutableMemory.class}
     * @param <F> the feature type
     * @throws IllegalCallerException if the caller's module has no native access; the message names the
     *     {@code --enable-native-access} value that grants it
     * @throws NullPointerException if {@code type} is null
     */
    <F extends PlatformFeature> FeatureAnswer<F> platformFeature(Class<F> type);
}
