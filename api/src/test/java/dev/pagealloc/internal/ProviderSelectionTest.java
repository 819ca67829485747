package dev.pagealloc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PlatformUnavailableException;
import dev.pagealloc.api.ProviderStatus;
import dev.pagealloc.api.UnsupportedOptionException;
import dev.pagealloc.spi.PlatformProvider;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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

    @Test
    void shouldRefuseAStaticBufferThatTheProviderWouldIgnore() {
        MemorySegment buffer = Arena.global().allocate(64 * 1024, 4096);
        // Named: the provider maps its own memory, so the buffer is refused at build(), not dropped.
        UnsupportedOptionException named = assertThrows(UnsupportedOptionException.class,
                () -> PageAllocator.builder().withPlatform("test-supported").withStaticBuffer(buffer).build());
        assertTrue(named.getMessage().startsWith("build(): staticBuffer="), named.getMessage());
        assertTrue(named.getMessage().contains("provider 'test-supported' maps its own memory"), named.getMessage());
        // Given directly: the same rule.
        assertThrows(UnsupportedOptionException.class, () -> PageAllocator.builder()
                .withProvider(new TestProviders.Supported()).withStaticBuffer(buffer).build());
        // Not named: only a provider that takes a buffer may be chosen, and none here does.
        PlatformUnavailableException none = assertThrows(PlatformUnavailableException.class,
                () -> PageAllocator.builder().withStaticBuffer(buffer).build());
        assertEquals("select(): no supported platform provider that takes a static buffer; " + FOUND,
                none.getMessage());
    }
}
