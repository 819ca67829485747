package dev.pagealloc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PlatformUnavailableException;
import dev.pagealloc.api.ProviderStatus;
import dev.pagealloc.spi.PlatformProvider;
import java.lang.reflect.Proxy;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Selection among the providers this module's tests register (see {@link TestProviders}). */
class ProviderSelectionTest {
    private static final String FOUND = "found: test-unsupported (unsupported: never, in tests), "
            + "test-supported (supported: always, in tests)";
    private String property;

    @BeforeEach
    void clearProperty() {
        property = System.clearProperty(ProviderSelection.PLATFORM_PROPERTY);
    }

    @AfterEach
    void restoreProperty() {
        if (property == null) {
            System.clearProperty(ProviderSelection.PLATFORM_PROPERTY);
        } else {
            System.setProperty(ProviderSelection.PLATFORM_PROPERTY, property);
        }
    }

    @Test
    void shouldListEveryProviderHighestPriorityFirst() {
        assertEquals(List.of(new ProviderStatus("test-unsupported", false, "never, in tests", 500),
                new ProviderStatus("test-supported", true, "always, in tests", 50)), PageAllocator.providers());
    }

    @Test
    void shouldPickTheHighestSupportedProvider() {
        assertEquals("test-supported", PageAllocator.builder().build().platform());
    }

    @Test
    void shouldNameWhatWasFoundWhenTheNamedProviderIsMissing() {
        PlatformUnavailableException e = assertThrows(PlatformUnavailableException.class,
                () -> PageAllocator.builder().withPlatform("solaris").build());
        assertEquals("select(pagealloc.platform=solaris): no provider named 'solaris'; " + FOUND, e.getMessage());
    }

    @Test
    void shouldRefuseANamedProviderThatIsUnsupported() {
        PlatformUnavailableException e = assertThrows(PlatformUnavailableException.class,
                () -> PageAllocator.builder().withPlatform("test-unsupported").build());
        assertEquals("select(pagealloc.platform=test-unsupported): provider 'test-unsupported' does not support this"
                + " platform (never, in tests); " + FOUND, e.getMessage());
    }

    @Test
    void shouldLetTheBuilderOverrideTheProperty() {
        System.setProperty(ProviderSelection.PLATFORM_PROPERTY, "solaris");
        assertThrows(PlatformUnavailableException.class, () -> PageAllocator.builder().build());
        assertEquals("test-supported", PageAllocator.builder().withPlatform("test-supported").build().platform());
        System.setProperty(ProviderSelection.PLATFORM_PROPERTY, "test-supported");
        assertEquals("test-supported", PageAllocator.builder().build().platform());
    }

    @Test
    void shouldUseAProviderGivenDirectlyWithoutLookingUp() {
        System.setProperty(ProviderSelection.PLATFORM_PROPERTY, "solaris");
        TestProviders.Supported given = new TestProviders.Supported();
        PageAllocator allocator = PageAllocator.builder().withProvider(given).build();
        assertEquals("test-supported", allocator.platform());
        assertSame(given, allocator.config().provider().orElseThrow());
    }

    @Test
    void shouldNotUseAProviderWhoseModuleHasNoNativeAccess() {
        // A proxy class lives in a dynamic module (jdk.proxyN) that nobody granted native access.
        PlatformProvider provider = (PlatformProvider) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {PlatformProvider.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "name" -> "proxy";
                    case "priority" -> 1000;
                    case "support" -> PlatformProvider.Support.yes("always");
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        String module = provider.getClass().getModule().getName();
        assertEquals(PlatformProvider.Support.no("not used: module " + module + " has no native access; run with"
                + " --enable-native-access=" + module), ProviderSelection.support(provider));
        assertEquals(PlatformProvider.Support.yes("always, in tests"),
                ProviderSelection.support(new TestProviders.Supported()));
    }
}
