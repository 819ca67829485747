package dev.pagealloc.windows;

import dev.pagealloc.api.NumaPolicy;
import dev.pagealloc.platform.support.Lazy;
import dev.pagealloc.spi.NativeAccess;
import dev.pagealloc.spi.PlatformProvider;
import dev.pagealloc.spi.PlatformRequest;
import dev.pagealloc.spi.VirtualMemory;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The Windows provider, {@code windows}: the Win32 memory manager through {@code kernel32.dll}, on
 * x64 and arm64. It supports only Windows; elsewhere {@link #support()} says so and {@link #open}
 * refuses.
 *
 * <h2>NUMA</h2>
 * Windows places a reservation's pages on one node given to {@code VirtualAllocExNuma}. A policy
 * naming one node ({@link NumaPolicy#bind(int...)} of one node, {@link NumaPolicy#preferred(int)})
 * is applied that way. Windows treats the node as a preference: when the node has no free memory,
 * pages come from another node, where Linux's {@code MPOL_BIND} would fail instead. Policies naming
 * several nodes (binding to a set, interleaving) have no Win32 equivalent: the allocator refuses
 * them at build, or under best effort builds without a policy and reports the downgrade.
 *
 * <h2>Large pages</h2>
 * Large-page memory is "always read/write and nonpageable" (Large-Page Support), so it cannot have
 * inaccessible guard pages: the primitives say so ({@code protectionUnsupported}), and the allocator
 * refuses explicit huge pages with guard pages at build unless best effort is on, and then regions
 * fall back to base pages and report why.
 *
 * <p>Thread-safe; makes no system call before {@link #open}.
 */
public final class WindowsPlatformProvider implements PlatformProvider {
    /** This provider's priority: above the embedded fallback. */
    public static final int PRIORITY = 100;

    /** OSHI's facts, asked once per JVM and only when capabilities are: OSHI and JNA take 0.2-0.3 s to load. */
    private static final Lazy<Optional<WindowsProbe.HostFacts>> OSHI = Lazy.of(new OshiFacts());

    /** The kernel, reached on first {@link #open}: loading the provider links nothing, on any OS. */
    private final Supplier<? extends Win32Kernel> kernel;
    private final Supplier<Optional<WindowsProbe.HostFacts>> host;
    private final String osName;

    /** Creates the provider for this JVM's platform; found through {@link java.util.ServiceLoader}. */
    public WindowsPlatformProvider() {
        this(SystemKernel.INSTANCE, OSHI, System.getProperty("os.name", ""));
    }

    /** Creates a provider over another kernel (a simulation), as if {@code os.name} were {@code osName}. */
    WindowsPlatformProvider(Win32Kernel kernel, Supplier<Optional<WindowsProbe.HostFacts>> host, String osName) {
        this(() -> kernel, host, osName);
    }

    private WindowsPlatformProvider(Supplier<? extends Win32Kernel> kernel,
            Supplier<Optional<WindowsProbe.HostFacts>> host, String osName) {
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
     * Opens this machine's primitives; they probe it when first asked for their capabilities.
     *
     * <p><b>Restricted</b> (see {@link PlatformProvider#open}): the primitives make raw
     * {@code VirtualAlloc}, {@code VirtualProtect} and {@code VirtualFree} calls on any address they are
     * given.
     *
     * @param request unused: Windows needs nothing from the allocator to open
     * @return the primitives
     * @throws IllegalCallerException if the caller's module has no native access (see {@link NativeAccess})
     * @throws UnsupportedOperationException if this is not Windows
     */
    @Override
    public VirtualMemory open(PlatformRequest request) {
        NativeAccess.ensureCallerHasNativeAccess("PlatformProvider.open");
        Support support = support();
        if (!support.supported()) {
            throw new UnsupportedOperationException("open(): " + support.reason());
        }
        Win32Kernel win32 = kernel.get();
        WindowsProbe probe = new WindowsProbe(win32, host);
        return new WindowsVirtualMemory(win32, probe.granularity(), probe::probe);
    }

    @Override
    public String toString() {
        return "WindowsPlatformProvider[" + support() + "]";
    }

    /**
     * This JVM's kernel binding, reached on first {@link #open}. This and {@link OshiFacts} are named
     * classes, not lambdas: ServiceLoader creates every provider in a JVM's first {@code build()}, where
     * each first lambda spins a class.
     */
    private static final class SystemKernel implements Supplier<Win32Kernel> {
        static final SystemKernel INSTANCE = new SystemKernel();

        @Override
        public Win32Kernel get() {
            return FfmWin32Kernel.INSTANCE;
        }
    }

    /** OSHI's host facts, read when first asked for. */
    private static final class OshiFacts implements Supplier<Optional<WindowsProbe.HostFacts>> {
        @Override
        public Optional<WindowsProbe.HostFacts> get() {
            return WindowsProbe.oshiFacts();
        }
    }
}
