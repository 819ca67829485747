package dev.pagealloc.spi;

import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link PlatformProvider#open} receives: the little a backend may need from the allocator's
 * configuration, and nothing else. Every option (huge pages, NUMA, guards, populate, lock, tagging) is
 * decided above the backends, from {@link VirtualMemory#capabilities()} and the {@code ...Unsupported}
 * queries of {@link VirtualMemory}, and reaches a backend per region as a {@link Backing}; a backend
 * therefore never refuses an option while it opens.
 *
 * <p>Immutable and thread-safe. It carries the caller's static buffer, a raw capability: it is built
 * only by pagealloc's own layer and handed only to the restricted {@link PlatformProvider#open}.
 *
 * @param staticBuffer the caller's buffer ({@code PageAllocatorBuilder.withStaticBuffer}), which a
 *     provider that {@link PlatformProvider#takesStaticBuffer() takes one} places regions in; empty when
 *     the caller gave none
 */
public record PlatformRequest(Optional<MemorySegment> staticBuffer) {

    /** A request without a static buffer: what every provider but the embedded one receives. */
    public static final PlatformRequest NONE = new PlatformRequest(Optional.empty());

    /**
     * Checks for null.
     *
     * @throws NullPointerException if {@code staticBuffer} is null
     */
    public PlatformRequest {
        Objects.requireNonNull(staticBuffer, "PlatformRequest(staticBuffer=null): use Optional.empty()");
    }

    /**
     * {@return a request that places regions in {@code buffer}}
     *
     * @param buffer the caller's static buffer
     * @throws NullPointerException if {@code buffer} is null
     */
    public static PlatformRequest withStaticBuffer(MemorySegment buffer) {
        return new PlatformRequest(Optional.of(Objects.requireNonNull(buffer, "buffer")));
    }
}
