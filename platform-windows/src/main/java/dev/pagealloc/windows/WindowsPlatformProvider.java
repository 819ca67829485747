package dev.pagealloc.windows;

import dev.pagealloc.api.AllocatorConfig;
import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.NumaPolicy;
import dev.pagealloc.api.UnsupportedOptionException;
import dev.pagealloc.spi.PlatformProvider;
import dev.pagealloc.spi.VirtualMemory;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The Windows provider, {@code windows}: the Win32 memory manager through {@code kernel32.dll}, on
 * x64 and arm64. It supports only Windows; elsewhere {@link #support()} says so and {@link #open}
 * refuses.
 *
 * <p>Windows can prefer a NUMA node for a reservation ({@code VirtualAllocExNuma}) but cannot bind
 * pages to nodes or interleave them, so {@link #open} refuses {@link NumaPolicy.Bind} and
 * {@link NumaPolicy.Interleave} unless the machine has a single node, where they hold trivially.
 *
 * <p>Thread-safe; makes no system call before {@link #open}.
 */
public final class WindowsPlatformProvider implements PlatformProvider {
    /** This provider's priority: above the embedded fallback. */
    public static final int PRIORITY = 100;

    private final Win32Kernel kernel;
    private final Supplier<Optional<WindowsProbe.HostFacts>> host;
    private final String osName;

    /** Creates the provider for this JVM's platform; found through {@link java.util.ServiceLoader}. */
    public WindowsPlatformProvider() {
        this(FfmWin32Kernel.INSTANCE, WindowsProbe::oshiFacts, System.getProperty("os.name", ""));
    }

    /** Creates a provider over another kernel (a simulation), as if {@code os.name} were {@code osName}. */
    WindowsPlatformProvider(Win32Kernel kernel, Supplier<Optional<WindowsProbe.HostFacts>> host, String osName) {
        this.kernel = kernel;
        this.host = host;
        this.osName = osName;
    }

    /** {@return {@code windows}} */
    @Override
    public String name() {
        return "windows";
    }

    /** {@return {@value #PRIORITY}} */
    @Override
    public int priority() {
        return PRIORITY;
    }

    /** {@return supported only when {@code os.name} names Windows} */
    @Override
    public Support support() {
        if (osName.startsWith("Windows")) {
            return Support.yes("os.name=" + osName + ", os.arch=" + System.getProperty("os.arch"));
        }
        return Support.no("os.name=" + osName + ": the windows provider needs Windows (VirtualAlloc in kernel32.dll)");
    }

    /**
     * Probes this machine and opens its primitives.
     *
     * @param config the allocator's configuration; its NUMA policy is checked here
     * @return the primitives
     * @throws UnsupportedOperationException if this is not Windows
     * @throws UnsupportedOptionException if the NUMA policy binds or interleaves on a machine with
     *     several nodes, whether or not best effort was asked (the region could not report it)
     */
    @Override
    public VirtualMemory open(AllocatorConfig config) {
        Support support = support();
        if (!support.supported()) {
            throw new UnsupportedOperationException("open(): " + support.reason());
        }
        Capabilities capabilities = new WindowsProbe(kernel, host).probe();
        NumaPolicy policy = config.numaPolicy();
        boolean strict = policy instanceof NumaPolicy.Bind || policy instanceof NumaPolicy.Interleave;
        if (strict && capabilities.numaNodes().size() > 1) {
            throw new UnsupportedOptionException("build()", "numaPolicy=" + policy, "Windows only prefers a node "
                    + "(VirtualAllocExNuma nndPreferred); it cannot bind pages to nodes or interleave them: use "
                    + "NumaPolicy.preferred(" + policy.nodes().first() + ")");
        }
        return new WindowsVirtualMemory(kernel, capabilities);
    }

    @Override
    public String toString() {
        return "WindowsPlatformProvider[" + support() + "]";
    }
}
