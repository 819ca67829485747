package dev.pagealloc.api;

import dev.pagealloc.internal.observe.RegionEvents;

/**
 * No platform provider can serve a {@link PageAllocatorBuilder#build()}: the one named (by
 * {@link PageAllocatorBuilder#withPlatform(String)} or the {@code pagealloc.platform} property) is
 * not on the module or class path or does not support this machine, or no provider found supports
 * it. The message lists every provider found with its reason. Nothing was opened.
 */
public final class PlatformUnavailableException extends PageAllocatorException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception.
     *
     * @param operation the selection with its arguments, e.g. {@code select(pagealloc.platform=macos)}
     * @param failure what is missing, with the providers found
     */
    public PlatformUnavailableException(String operation, String failure) {
        super(operation, failure, null);
        RegionEvents.refused(this); // last: a JFR event reads the finished exception
    }
}
