package dev.pagealloc.macos;

import dev.pagealloc.platform.support.Lazy;
import dev.pagealloc.spi.NativeAccess;
import dev.pagealloc.spi.PlatformProvider;
import dev.pagealloc.spi.PlatformRequest;
import dev.pagealloc.spi.VirtualMemory;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The macOS provider, {@code macos}: Mach VM through {@code libSystem}, on arm64 and x86-64. It
 * supports only macOS; elsewhere {@link #support()} says so and {@link #open} refuses.
 *
 * <p>Every allocation is tagged {@code VM_MEMORY_APPLICATION_SPECIFIC_1} (240), so {@code vmmap}
 * and Instruments list pagealloc's memory apart from the JVM's.
 *
 * <p>Thread-safe; makes no system call before {@link #open}.
 */
public final class MacPlatformProvider implements PlatformProvider {
    /** This provider's priority: above the embedded fallback. */
    public static final int PRIORITY = 100;

    /** OSHI's facts, asked once per JVM and only when capabilities are: OSHI and JNA take 0.2-0.3 s to load. */
    private static final Lazy<Optional<MacProbe.HostFacts>> OSHI = Lazy.of(new OshiFacts());

    /** The kernel, reached on first {@link #open}: loading the provider links nothing, on any OS. */
    private final Supplier<? extends MachKernel> kernel;
    private final Supplier<Optional<MacProbe.HostFacts>> host;
    private final String osName;

    /** Creates the provider for this JVM's platform; found through {@link java.util.ServiceLoader}. */
    public MacPlatformProvider() {
        this(SystemKernel.INSTANCE, OSHI, System.getProperty("os.name", ""));
    }

    /** Creates a provider over another kernel (a simulation), as if {@code os.name} were {@code osName}. */
    MacPlatformProvider(MachKernel kernel, Supplier<Optional<MacProbe.HostFacts>> host, String osName) {
        this(() -> kernel, host, osName);
    }

    private MacPlatformProvider(Supplier<? extends MachKernel> kernel, Supplier<Optional<MacProbe.HostFacts>> host,
            String osName) {
        this.kernel = kernel;
        this.host = host;
        this.osName = osName;
    }

    /** {@return {@code macos}} */
    @Override
    public String name() {
        return "macos";
    }

    /** {@return {@value #PRIORITY}} */
    @Override
    public int priority() {
        return PRIORITY;
    }

    /** {@return supported only when {@code os.name} names macOS} */
    @Override
    public Support support() {
        if (osName.startsWith("Mac")) {
            return Support.yes("os.name=" + osName + ", os.arch=" + System.getProperty("os.arch"));
        }
        return Support.no("os.name=" + osName + ": the macos provider needs macOS (Mach VM calls in libSystem)");
    }

    /**
     * Opens this Mac's primitives; they probe it when their capabilities are first asked for.
     *
     * <p><b>Restricted</b> (see {@link PlatformProvider#open}): the primitives make raw Mach VM calls on
     * any address they are given.
     *
     * @param request unused: macOS needs nothing from the allocator to open
     * @return the primitives
     * @throws IllegalCallerException if the caller's module has no native access (see {@link NativeAccess})
     * @throws UnsupportedOperationException if this is not macOS
     */
    @Override
    public VirtualMemory open(PlatformRequest request) {
        NativeAccess.ensureCallerHasNativeAccess("PlatformProvider.open");
        Support support = support();
        if (!support.supported()) {
            throw new UnsupportedOperationException("open(): " + support.reason());
        }
        int tag = MachAbi.VM_MEMORY_APPLICATION_SPECIFIC_1;
        MachKernel mach = kernel.get();
        MacProbe probe = new MacProbe(mach, tag, host);
        return new MacVirtualMemory(mach, probe.pageBytes(), probe::probe, tag);
    }

    @Override
    public String toString() {
        return "MacPlatformProvider[" + support() + "]";
    }

    /**
     * This JVM's kernel binding, reached on first {@link #open}. This and {@link OshiFacts} are named
     * classes, not lambdas: ServiceLoader creates every provider in a JVM's first {@code build()}, where
     * each first lambda spins a class.
     */
    private static final class SystemKernel implements Supplier<MachKernel> {
        static final SystemKernel INSTANCE = new SystemKernel();

        @Override
        public MachKernel get() {
            return FfmMachKernel.INSTANCE;
        }
    }

    /** OSHI's host facts, read when first asked for. */
    private static final class OshiFacts implements Supplier<Optional<MacProbe.HostFacts>> {
        @Override
        public Optional<MacProbe.HostFacts> get() {
            return MacProbe.oshiFacts();
        }
    }
}
