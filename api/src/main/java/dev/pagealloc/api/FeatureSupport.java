package dev.pagealloc.api;

/**
 * Whether the platform behind an allocator offers one optional feature, and why or why not; listed by
 * {@link PageAllocator#features()}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param feature the feature's name: the simple name of its {@code dev.pagealloc.spi.PlatformFeature}
 *     type, e.g. {@code ExecutableMemory}
 * @param available whether the platform offers it
 * @param reason what backs it (e.g. {@code memfd_create + two mmap(MAP_SHARED)}), or why it is absent
 *     (e.g. {@code no MTE on x86-64})
 */
public record FeatureSupport(String feature, boolean available, String reason) {
    @Override
    public String toString() {
        return feature + (available ? ": yes, " : ": no, ") + reason;
    }
}
