package dev.pagealloc.api;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * An allocator's configuration as the builder checked it: options only. Immutable and thread-safe.
 *
 * <p>It holds no capability: a provider given with {@link PageAllocatorBuilder#withProvider} and the
 * static buffer's segment stay inside the allocator, so whoever is handed {@link PageAllocator#config()}
 * gets neither raw primitives nor a segment over the buffer (both restricted to obtain).
 *
 * @param platform the provider asked for by name, if any (else the best supported one, or the one
 *     given with {@link PageAllocatorBuilder#withProvider}, whose name this then is)
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
 * @param partition the partition commits are charged to, if any (a {@link MemoryBudget} is one)
 * @param bestEffort whether options the platform lacks are downgraded instead of refused
 * @param viewSharing which threads may use region views
 * @param staticBufferBytes the size of the caller's buffer for the embedded provider, in bytes, if one
 *     was given ({@link PageAllocatorBuilder#withStaticBuffer})
 * @param guardVerification when software-checked guards are verified
 * @param mappingHeadroom the memory mappings to keep free for the JVM, if set (else an eighth of the
 *     platform's limit); see {@link PageAllocatorBuilder#withMappingHeadroom(long)}
 * @param viewQuarantine how shared views of deallocated regions are retired in batches
 * @param leakDetection how regions dropped without {@code deallocate()} are watched and reported
 */
public record AllocatorConfig(
        Optional<String> platform,
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
        Optional<MemoryPartition> partition,
        boolean bestEffort,
        ViewSharing viewSharing,
        OptionalLong staticBufferBytes,
        GuardVerification guardVerification,
        OptionalLong mappingHeadroom,
        ViewQuarantine viewQuarantine,
        LeakDetection leakDetection) {}
