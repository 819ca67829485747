package dev.pagealloc.linux;

import dev.pagealloc.api.Capabilities;
import dev.pagealloc.spi.NativeAccess;
import dev.pagealloc.spi.PlatformProvider;
import dev.pagealloc.spi.PlatformRequest;
import dev.pagealloc.spi.VirtualMemory;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * The Linux platform: {@code mmap}, {@code mprotect}, {@code madvise}, {@code mbind} through the
 * Foreign Function &amp; Memory API, on x86-64 and arm64. Found through {@link java.util.ServiceLoader}
 * under the name {@code linux}.
 *
 * <p>The module makes restricted calls (it links C functions), so applications run it with
 * {@code --enable-native-access=dev.pagealloc.api,dev.pagealloc.platform.support,dev.pagealloc.linux}
 * (or {@code ALL-UNNAMED} on the class path); on the module path without it, pagealloc does not use the provider (see
 * {@link dev.pagealloc.spi.PlatformProvider}).
 *
 * <p>Thread-safe. Makes no system call before {@link #open}; every allocator shares one
 * {@link VirtualMemory}, whose capabilities are probed once per process.
 */
public final class LinuxPlatformProvider implements PlatformProvider {

    private final Supplier<? extends VirtualMemory> memory;

    /** Creates the provider; {@link java.util.ServiceLoader} calls this. */
    public LinuxPlatformProvider() {
        this(SharedMemory.INSTANCE);
    }

    /**
     * Creates a provider over other primitives: tests put the real logic over a kernel with
     * injected failures.
     *
     * @param memory the primitives {@link #open} returns
     */
    LinuxPlatformProvider(Supplier<? extends VirtualMemory> memory) {
        this.memory = memory;
    }

    /** {@return {@code linux}} */
    @Override
    public String name() {
        return "linux";
    }

    /** {@return 100: above the embedded fallback} */
    @Override
    public int priority() {
        return 100;
    }

    /** {@return supported iff {@code os.name} is Linux and {@code os.arch} is amd64 or aarch64} */
    @Override
    public Support support() {
        return support(System.getProperty("os.name"), System.getProperty("os.arch"));
    }

    /**
     * {@return whether the provider runs on {@code osName} with {@code arch}, and why}
     *
     * @param osName the {@code os.name} property
     * @param arch the {@code os.arch} property
     */
    static Support support(String osName, String arch) {
        String facts = "os.name=" + osName + ", os.arch=" + arch;
        if (!"Linux".equals(osName)) {
            return Support.no(facts + ": not Linux");
        }
        if (!"amd64".equals(arch) && !"aarch64".equals(arch)) {
            return Support.no(facts + ": only amd64 and aarch64 system call numbers are known");
        }
        return Support.yes(facts);
    }

    /**
     * {@return the process-wide Linux primitives}
     *
     * <p><b>Restricted</b> (see {@link PlatformProvider#open}): the primitives make raw {@code mmap},
     * {@code mprotect} and {@code munmap} calls on any address they are given.
     *
     * @param request unused: Linux needs nothing from the allocator to open
     * @throws IllegalCallerException if the caller's module has no native access (see {@link NativeAccess})
     * @throws UnsupportedOperationException if this is not Linux on amd64 or aarch64
     */
    @Override
    public VirtualMemory open(PlatformRequest request) {
        NativeAccess.ensureCallerHasNativeAccess("PlatformProvider.open");
        Support support = support();
        if (!support.supported()) {
            throw new UnsupportedOperationException("open(platform=linux): " + support.reason());
        }
        return memory.get();
    }

    /**
     * The process-wide primitives, as a named class rather than a lambda (every JVM's first {@code build()}
     * passes here, and each first lambda spins a class).
     */
    private static final class SharedMemory implements Supplier<VirtualMemory> {
        static final SharedMemory INSTANCE = new SharedMemory();

        @Override
        public VirtualMemory get() {
            return Shared.MEMORY;
        }
    }

    /** Created on first {@link #open}, so loading the provider links nothing. */
    private static final class Shared {
        static final LinuxVirtualMemory MEMORY = new LinuxVirtualMemory(FfmLinuxKernel.INSTANCE, pageBytes(),
                new SystemProbe(), new SystemAddressBits());

        private static long pageBytes() {
            OptionalLong auxv = LinuxProbe.auxvPageBytes(Path.of("/proc/self/auxv"));
            return auxv.isPresent() ? auxv.getAsLong() : FfmLinuxKernel.INSTANCE.sysconf(LinuxAbi.SC_PAGESIZE);
        }
    }

    /** This machine's user address width, probed when first asked for (by the first {@code allocate}). */
    private static final class SystemAddressBits implements Supplier<Integer> {
        @Override
        public Integer get() {
            return LinuxProbe.ofSystem(FfmLinuxKernel.INSTANCE).addressBits();
        }
    }

    /** This machine's capabilities, probed when first asked for. */
    private static final class SystemProbe implements Supplier<Capabilities> {
        @Override
        public Capabilities get() {
            return LinuxProbe.ofSystem(FfmLinuxKernel.INSTANCE).probe();
        }
    }
}
