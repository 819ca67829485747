package dev.pagealloc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.AllocatorConfig;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PlatformUnavailableException;
import dev.pagealloc.api.ProviderStatus;
import dev.pagealloc.api.UnsupportedOptionException;
import dev.pagealloc.spi.PlatformProvider;
import dev.pagealloc.spi.PlatformRequest;
import dev.pagealloc.spi.VirtualMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
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
        assertEquals(Optional.of("test-supported"), allocator.config().platform());
    }

    @Test
    void shouldKeepTheProviderAndTheStaticBufferOutOfThePublicConfig() {
        // Whoever is handed an allocator reads its config; a provider's primitives or the buffer's segment
        // there would hand restricted capabilities to code that never passed the native-access check.
        for (var component : AllocatorConfig.class.getRecordComponents()) {
            assertFalse(PlatformProvider.class.isAssignableFrom(component.getType())
                    || component.getGenericType().getTypeName().contains(PlatformProvider.class.getName())
                    || component.getGenericType().getTypeName().contains(MemorySegment.class.getName()),
                    component::toString);
        }
        MemorySegment buffer = Arena.global().allocate(8 * 4096, 4096);
        List<PlatformRequest> received = new ArrayList<>();
        PlatformProvider takesBuffer = new PlatformProvider() {
            @Override
            public String name() {
                return "test-buffer";
            }

            @Override
            public int priority() {
                return 0;
            }

            @Override
            public Support support() {
                return Support.yes("in tests");
            }

            @Override
            public boolean takesStaticBuffer() {
                return true;
            }

            @Override
            public VirtualMemory open(PlatformRequest request) {
                received.add(request);
                return new TestProviders.Supported().open(request);
            }
        };
        AllocatorConfig config = PageAllocator.builder().withProvider(takesBuffer).withStaticBuffer(buffer).build()
                .config();
        assertEquals(OptionalLong.of(8 * 4096), config.staticBufferBytes());
        assertEquals(Optional.of("test-buffer"), config.platform());
        assertEquals(List.of(PlatformRequest.withStaticBuffer(buffer)), received, "only the backend gets the buffer");
        PageAllocator.builder().withProvider(takesBuffer).build();
        assertEquals(PlatformRequest.NONE, received.getLast());
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
