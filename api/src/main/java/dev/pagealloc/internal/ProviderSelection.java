package dev.pagealloc.internal;

import dev.pagealloc.api.AllocatorConfig;
import dev.pagealloc.api.PlatformUnavailableException;
import dev.pagealloc.api.ProviderStatus;
import dev.pagealloc.api.UnsupportedOptionException;
import dev.pagealloc.spi.NativeAccess;
import dev.pagealloc.spi.PlatformProvider;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

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
 */
public final class ProviderSelection {
    /** The system property that forces a provider by name. */
    public static final String PLATFORM_PROPERTY = "pagealloc.platform";

    private ProviderSelection() {}

    /** {@return every provider found, highest priority first} */
    public static List<PlatformProvider> providers() {
        return ServiceLoader.load(PlatformProvider.class, ProviderSelection.class.getClassLoader()).stream()
                .map(ServiceLoader.Provider::get)
                .sorted(Comparator.comparingInt(PlatformProvider::priority).reversed())
                .toList();
    }

    /** {@return the status of every provider found, highest priority first} */
    public static List<ProviderStatus> statuses() {
        return providers().stream().map(ProviderSelection::status).toList();
    }

    private static ProviderStatus status(PlatformProvider provider) {
        PlatformProvider.Support support = support(provider);
        return new ProviderStatus(provider.name(), support.supported(), support.reason(), provider.priority());
    }

    /** {@return the provider's own support, unless its module may not act with this module's native access} */
    static PlatformProvider.Support support(PlatformProvider provider) {
        return NativeAccess.missingNativeAccess(provider.getClass().getModule())
                .map(reason -> PlatformProvider.Support.no("not used: " + reason))
                .orElseGet(provider::support);
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
        List<PlatformProvider> found = providers();
        Optional<String> named = config.platform().or(() -> Optional.ofNullable(System.getProperty(PLATFORM_PROPERTY)));
        if (named.isPresent()) {
            String name = named.get();
            PlatformProvider provider = found.stream()
                    .filter(p -> p.name().equals(name))
                    .findFirst()
                    .orElseThrow(() -> new PlatformUnavailableException(
                            "select(" + PLATFORM_PROPERTY + "=" + name + ")",
                            "no provider named '" + name + "'; found: " + describe(found)));
            PlatformProvider.Support support = support(provider);
            if (!support.supported()) {
                throw new PlatformUnavailableException("select(" + PLATFORM_PROPERTY + "=" + name + ")", "provider '"
                        + name + "' does not support this platform (" + support.reason() + "); found: "
                        + describe(found));
            }
            return provider;
        }
        boolean needsBuffer = config.staticBufferBytes().isPresent();
        return found.stream()
                .filter(p -> support(p).supported())
                .filter(p -> !needsBuffer || p.takesStaticBuffer())
                .findFirst()
                .orElseThrow(() -> new PlatformUnavailableException("select()", "no supported platform provider"
                        + (needsBuffer ? " that takes a static buffer" : "") + "; found: " + describe(found)));
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
        return found.stream()
                .map(ProviderSelection::status)
                .map(s -> s.name() + " (" + (s.supported() ? "supported" : "unsupported") + ": " + s.reason() + ")")
                .collect(Collectors.joining(", "));
    }
}
