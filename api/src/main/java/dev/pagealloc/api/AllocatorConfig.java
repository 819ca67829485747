package dev.pagealloc.api;

import dev.pagealloc.spi.PlatformProvider;
import java.lang.foreign.MemorySegment;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * An allocator's configuration as the builder checked it. Immutable and thread-safe.
 *
 * @param platform the provider asked for by name, if any (else the best supported one)
 * @param provider a provider instance given directly, if any (tests, simulated kernels)
 * @param pageBytes the logical page unit of page counts, in bytes; a power of two
 * @param maximumPages the maximum {@link PageAllocator#allocate(long)} reserves, if set
 * @param guardPages whether regions get guard regions
 * @param guardBeforeBytes guard bytes before the base, if set explicitly (else one base page)
 * @param guardAfterBytes guard bytes after the maximum, if set explicitly (else one base page)
 * @param hugePages the huge pages asked for
 * @param numaPolicy the NUMA policy asked for
 * @param populate whether committed pages are prefaulted
 * @param lock whether committed pages are locked in memory
 * @param memoryTagging the tagging asked for
 * @param budget the budget commits are charged to, if any
 * @param bestEffort whether options the platform lacks are downgraded instead of refused
 * @param viewSharing which threads may use region views
 * @param staticBuffer the caller's buffer for the embedded provider, if any
 * @param guardVerification when software-checked guards are verified
 * @param mappingHeadroom the memory mappings to keep free for the JVM, if set (else an eighth of the
 *     platform's limit); see {@link PageAllocatorBuilder#withMappingHeadroom(long)}
 * @param leakDetection how regions dropped without {@code deallocate()} are watched and reported
 */
public record AllocatorConfig(
        Optional<String> platform,
        Optional<PlatformProvider> provider,
        long pageBytes,
        OptionalLong maximumPages,
        boolean guardPages,
        OptionalLong guardBeforeBytes,
        OptionalLong guardAfterBytes,
        HugePages hugePages,
        NumaPolicy numaPolicy,
        boolean populate,
        boolean lock,
        MemoryTagging memoryTagging,
        Optional<MemoryBudget> budget,
        boolean bestEffort,
        ViewSharing viewSharing,
        Optional<MemorySegment> staticBuffer,
        GuardVerification guardVerification,
        OptionalLong mappingHeadroom,
        LeakDetection leakDetection) {}
