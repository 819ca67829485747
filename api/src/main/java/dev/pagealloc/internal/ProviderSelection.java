package dev.pagealloc.internal;

import dev.pagealloc.api.AllocatorConfig;
import dev.pagealloc.api.PlatformUnavailableException;
import dev.pagealloc.api.ProviderStatus;
import dev.pagealloc.api.UnsupportedOptionException;
import dev.pagealloc.spi.NativeAccess;
import dev.pagealloc.spi.PlatformProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Finds platform providers through {@link ServiceLoader} and picks one: the one given directly,
 * else the one named by the builder or the {@code pagealloc.platform} property, else the supported
 * one with the highest priority (among those that take a static buffer, when the configuration has one).
 *
 * <p>A provider found through {@code ServiceLoader} is used only if its class's module has native access
 * or is this module (see {@link NativeAccess#missingNativeAccess}): its {@code reserve} decides which
 * addresses this module builds segments over, and this module holds native access. Other providers count
 * as unsupported, with the module and the launcher option in the reason. A provider given directly
 * ({@code withProvider}) was vouched for by a caller that passed the same check.
 *
 * <h2>Cost</h2>
 * This runs in every JVM's first {@code build()}, so it is written for a cold JVM: no lambdas, method
 * references, streams or string concatenation through {@code invokedynamic} on the way to a selected
 * provider (each first use of one spins classes: ~0.5 ms apiece, measured by {@code pagealloc startup}).
 * Providers are looked up through the class loader ({@link ServiceLoader#load(Class, ClassLoader)}), which
 * finds those of named modules and those registered in {@code META-INF/services} files on the class path,
 * except when no class-path provider can exist: this module is in the boot layer and the class path is
 * empty (an application run with {@code --module-path ... -m}, as {@code ./pagealloc} runs the CLI). Then
 * the boot layer alone is asked ({@link ServiceLoader#load(ModuleLayer, Class)}), which finds the same
 * providers without opening every jar's {@code META-INF/services} entry through a URL connection (the
 * class loader's lookup does, then skips the providers in named modules: {@code ServiceLoader}'s
 * {@code LazyClassPathLookupIterator}).
 */
public final class ProviderSelection {
    /** The system property that forces a provider by name. */
    public static final String PLATFORM_PROPERTY = "pagealloc.platform";

    private ProviderSelection() {}

    /** {@return every provider found, highest priority first} */
    public static List<PlatformProvider> providers() {
        Module self = ProviderSelection.class.getModule();
        String classPath = System.getProperty("java.class.path");
        if (self.getLayer() == ModuleLayer.boot() && (classPath == null || classPath.isEmpty())) {
            return load(ServiceLoader.load(ModuleLayer.boot(), PlatformProvider.class));
        }
        return load(ServiceLoader.load(PlatformProvider.class, ProviderSelection.class.getClassLoader()));
    }

    /** Instantiated in the loader's order, then sorted by descending priority, stable for equal priorities. */
    private static List<PlatformProvider> load(ServiceLoader<PlatformProvider> loader) {
        List<PlatformProvider> found = new ArrayList<>();
        for (PlatformProvider provider : loader) {
            int at = found.size();
            while (at > 0 && found.get(at - 1).priority() < provider.priority()) {
                at--;
            }
            found.add(at, provider);
        }
        return found;
    }

    /** {@return the status of every provider found, highest priority first} */
    public static List<ProviderStatus> statuses() {
        List<PlatformProvider> found = providers();
        List<ProviderStatus> statuses = new ArrayList<>(found.size());
        for (PlatformProvider provider : found) {
            statuses.add(status(provider));
        }
        return List.copyOf(statuses);
    }

    private static ProviderStatus status(PlatformProvider provider) {
        PlatformProvider.Support support = support(provider);
        return new ProviderStatus(provider.name(), support.supported(), support.reason(), provider.priority());
    }

    /** {@return the provider's own support, unless its module may not act with this module's native access} */
    static PlatformProvider.Support support(PlatformProvider provider) {
        Optional<String> missing = NativeAccess.missingNativeAccess(provider.getClass().getModule());
        return missing.isPresent() ? PlatformProvider.Support.no("not used: ".concat(missing.get()))
                : provider.support();
    }

    /**
     * {@return the provider {@code config} asks for: {@code given}, if present}
     *
     * @param config the allocator configuration
     * @param given the provider given directly ({@code withProvider}), if any
     * @throws PlatformUnavailableException if the named provider is absent or unsupported, or none
     *     is supported; the message lists what was found
     */
    public static PlatformProvider select(AllocatorConfig config, Optional<PlatformProvider> given) {
        if (given.isPresent()) {
            return given.get();
        }
        String name = config.platform().isPresent() ? config.platform().get() : System.getProperty(PLATFORM_PROPERTY);
        boolean needsBuffer = config.staticBufferBytes().isPresent();
        List<PlatformProvider> found = providers();
        if (name != null) {
            PlatformProvider provider = named(found, name);
            if (provider == null) {
                throw new PlatformUnavailableException("select(" + PLATFORM_PROPERTY + "=" + name + ")",
                        "no provider named '" + name + "'; found: " + describe(found));
            }
            PlatformProvider.Support support = support(provider);
            if (!support.supported()) {
                throw new PlatformUnavailableException("select(" + PLATFORM_PROPERTY + "=" + name + ")", "provider '"
                        + name + "' does not support this platform (" + support.reason() + "); found: "
                        + describe(found));
            }
            return provider;
        }
        PlatformProvider chosen = null;
        for (PlatformProvider provider : found) {
            if ((!needsBuffer || provider.takesStaticBuffer()) && support(provider).supported()) {
                chosen = provider;
                break;
            }
        }
        if (chosen == null) {
            throw new PlatformUnavailableException("select()", "no supported platform provider"
                    + (needsBuffer ? " that takes a static buffer" : "") + "; found: " + describe(found));
        }
        return chosen;
    }

    private static PlatformProvider named(List<PlatformProvider> found, String name) {
        for (PlatformProvider provider : found) {
            if (provider.name().equals(name)) {
                return provider;
            }
        }
        return null;
    }

    /**
     * Refuses a static buffer that {@code provider} would ignore: options are honoured or refused.
     *
     * @param config the allocator configuration
     * @param provider the provider {@link #select} chose
     * @throws UnsupportedOptionException if {@code config} has a static buffer and {@code provider}
     *     maps its own memory
     */
    public static void checkStaticBuffer(AllocatorConfig config, PlatformProvider provider) {
        if (config.staticBufferBytes().isPresent() && !provider.takesStaticBuffer()) {
            throw new UnsupportedOptionException("build()", "staticBuffer=" + config.staticBufferBytes().getAsLong()
                    + " bytes",
                    "provider '" + provider.name() + "' maps its own memory and would ignore the buffer; only a "
                            + "provider that takes one (embedded: withPlatform(\"embedded\")) uses it");
        }
    }

    private static String describe(List<PlatformProvider> found) {
        if (found.isEmpty()) {
            return "none (is a pagealloc-platform-* module on the module or class path?)";
        }
        List<String> parts = new ArrayList<>(found.size());
        for (PlatformProvider provider : found) {
            ProviderStatus s = status(provider);
            parts.add(s.name() + " (" + (s.supported() ? "supported" : "unsupported") + ": " + s.reason() + ")");
        }
        return String.join(", ", parts);
    }
}
