package dev.pagealloc.spi;

/**
 * A platform module's entry point, found through {@link java.util.ServiceLoader}. The supported
 * provider with the highest {@link #priority()} is used unless the system property
 * {@code pagealloc.platform} (or {@link dev.pagealloc.api.PageAllocatorBuilder#withPlatform})
 * names one.
 *
 * <h2>Native access</h2>
 * {@link #open} is a restricted method (see {@link NativeAccess}): it hands out raw system calls on any
 * address. pagealloc itself uses a provider found through {@code ServiceLoader} only if the provider's
 * module has native access (or is pagealloc's API module, as on the class path); other providers are
 * listed by {@link dev.pagealloc.api.PageAllocator#providers()} as unsupported, with the launcher option
 * that would grant it.
 *
 * @implSpec Implementations have a public no-argument constructor, are thread-safe, and make no
 *     system call before {@link #open}; {@link #support()} may read files and properties. {@link #open}
 *     calls {@link NativeAccess#ensureCallerHasNativeAccess(String)} before anything else.
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
     * <p><b>Restricted.</b> This method is restricted. Restricted methods are unsafe, and, if used
     * incorrectly, might crash the JVM or result in memory corruption: the primitives it returns change
     * the protection of, or unmap, whatever address they are given, and the embedded provider trusts the
     * request's static buffer to stay alive. It runs only for a caller whose module has native
     * access, by the rule of {@link NativeAccess}; pagealloc's own layer is such a caller. Applications
     * do not call it: {@link dev.pagealloc.api.PageAllocatorBuilder#build()} does.
     *
     * <p>A provider decides no option here: options are checked above it, against what the returned
     * primitives report ({@link VirtualMemory#capabilities()}, {@link VirtualMemory#numaPolicyUnsupported},
     * {@link VirtualMemory#protectionUnsupported}). Opening should be cheap: facts that cost a probe are
     * computed when {@link VirtualMemory#capabilities()} is first asked.
     *
     * @param request what the allocator hands every backend (only the embedded provider reads it: its
     *     static buffer)
     * @return the primitives
     * @throws IllegalCallerException if the caller's module has no native access (see {@link NativeAccess})
     * @throws UnsupportedOperationException if the provider is not supported here
     * @throws IllegalArgumentException if the request's static buffer is not one the provider can use
     */
    VirtualMemory open(PlatformRequest request);

    /**
     * {@return whether {@link #open} places regions in the caller's static buffer}
     * ({@link dev.pagealloc.api.PageAllocatorBuilder#withStaticBuffer}). A provider that maps its own
     * memory answers false (the default), and {@code build()} then refuses a configuration that has a
     * static buffer rather than ignoring it; with no provider named, the best supported provider that
     * takes one is chosen.
     */
    default boolean takesStaticBuffer() {
        return false;
    }

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
