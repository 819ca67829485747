package dev.pagealloc.spi;

import dev.pagealloc.api.AllocatorConfig;

/**
 * A platform module's entry point, found through {@link java.util.ServiceLoader}. The supported
 * provider with the highest {@link #priority()} is used unless the system property
 * {@code pagealloc.platform} (or {@link dev.pagealloc.api.PageAllocatorBuilder#withPlatform})
 * names one.
 *
 * @implSpec Implementations have a public no-argument constructor, are thread-safe, and make no
 *     system call before {@link #open}; {@link #support()} may read files and properties.
 */
public interface PlatformProvider {

    /** {@return the name {@code pagealloc.platform} selects this provider by, e.g. {@code linux}} */
    String name();

    /** {@return higher wins among supported providers; the embedded fallback has the lowest} */
    int priority();

    /** {@return whether this provider runs on the current platform, and why} */
    Support support();

    /**
     * Opens the platform's primitives for an allocator.
     *
     * @param config the allocator's configuration (the embedded provider reads its static buffer)
     * @return the primitives
     * @throws UnsupportedOperationException if the provider is not supported here
     * @throws IllegalArgumentException if the configuration lacks what the provider needs
     */
    VirtualMemory open(AllocatorConfig config);

    /**
     * Whether a provider runs here.
     *
     * @param supported whether it does
     * @param reason why, in words (e.g. {@code os.name=Linux, arch=amd64})
     */
    record Support(boolean supported, String reason) {
        /**
         * {@return a supported status}
         *
         * @param reason why
         */
        public static Support yes(String reason) {
            return new Support(true, reason);
        }

        /**
         * {@return an unsupported status}
         *
         * @param reason why not
         */
        public static Support no(String reason) {
            return new Support(false, reason);
        }
    }
}
