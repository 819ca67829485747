package dev.pagealloc.linux.quiet;

import dev.pagealloc.api.PageAllocator;

/**
 * The child JVM of {@code LinuxQuietProbeTest}: prints which module the API was loaded from and the
 * Linux provider's capabilities, and nothing else. In a package of its own, so that it still loads
 * from the class path when {@code dev.pagealloc.linux} is a named module on the module path.
 */
public final class CapabilitiesChild {
    /** Precedes the module name. */
    public static final String MODULE = "module=";
    /** Precedes the capabilities. */
    public static final String CAPABILITIES = "capabilities=";

    private CapabilitiesChild() {}

    /**
     * Prints the facts.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        System.out.println(MODULE + PageAllocator.class.getModule().getName());
        System.out.println(CAPABILITIES + PageAllocator.builder().withPlatform("linux").build().capabilities());
    }
}
