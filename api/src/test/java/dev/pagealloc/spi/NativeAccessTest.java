package dev.pagealloc.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.PageAllocatorBuilder;
import dev.pagealloc.api.Protection;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The restricted-method rule. Tests run on the class path with native access for the unnamed module, so
 * code without it comes from a {@link Proxy} class: the JDK defines those in a dynamic module
 * ({@code jdk.proxyN}) that nobody granted native access.
 */
class NativeAccessTest {

    /** A {@code VirtualMemory} in a module without native access, whose default methods really run. */
    private static VirtualMemory proxyMemory() {
        InvocationHandler handler = (proxy, method, args) -> {
            if (method.isDefault()) {
                return InvocationHandler.invokeDefault(proxy, method, args);
            }
            throw new UnsupportedOperationException(method.getName());
        };
        return (VirtualMemory) Proxy.newProxyInstance(NativeAccessTest.class.getClassLoader(),
                new Class<?>[] {VirtualMemory.class}, handler);
    }

    @Test
    void shouldRefuseTheDefaultViewToAnImplementationWithoutNativeAccess() {
        VirtualMemory memory = proxyMemory();
        Module module = memory.getClass().getModule();
        assertFalse(module.isNativeAccessEnabled(), module + " should have no native access");
        IllegalCallerException e = assertThrows(IllegalCallerException.class,
                () -> memory.view(0x1000, 8, Arena.global()));
        assertEquals("VirtualMemory.view(address=0x1000, byteSize=8, implementation=" + memory.getClass().getName()
                + "): module " + module.getName() + " has no native access; run with --enable-native-access="
                + module.getName(), e.getMessage());
    }

    @Test
    void shouldLetAnImplementationWithNativeAccessUseTheDefaultView() {
        VirtualMemory memory = new VirtualMemory() {
            @Override
            public Capabilities capabilities() {
                throw new UnsupportedOperationException();
            }

            @Override
            public long reserve(long byteSize, long alignmentBytes, Backing backing) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void commit(long address, long byteSize, Backing backing) {}

            @Override
            public void protect(long address, long byteSize, Protection protection) {}

            @Override
            public void decommit(long address, long byteSize, Backing backing) {}

            @Override
            public void discard(long address, long byteSize, Backing backing) {}

            @Override
            public void release(long address, long byteSize) {}

            @Override
            public void populate(long address, long byteSize) {}

            @Override
            public void lock(long address, long byteSize) {}
        };
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment backing = arena.allocate(16);
            backing.set(ValueLayout.JAVA_LONG, 8, 42);
            MemorySegment view = memory.view(backing.address(), 16, arena);
            assertEquals(42, view.get(ValueLayout.JAVA_LONG, 8));
        }
    }

    @Test
    void shouldRefuseACallerWithoutNativeAccessNamingTheFlag() {
        Class<?> caller = proxyMemory().getClass();
        String module = caller.getModule().getName();
        IllegalCallerException e = assertThrows(IllegalCallerException.class,
                () -> NativeAccess.check(caller, PageAllocatorBuilder.class, "PageAllocatorBuilder.withStaticBuffer"));
        assertEquals("PageAllocatorBuilder.withStaticBuffer(caller=" + caller.getName() + "): illegal native access"
                + " from module " + module + ": this restricted method trusts its caller with raw memory, so the"
                + " caller's module needs native access; run with --enable-native-access=" + module, e.getMessage());
    }

    @Test
    void shouldLetTheModuleThatPerformsTheOperationDecide() {
        Class<?> caller = proxyMemory().getClass();
        NativeAccess.check(caller, caller, "PlatformProvider.open");
        assertEquals(Optional.empty(), NativeAccess.missingNativeAccess(NativeAccess.class.getModule()));
    }

    @Test
    void shouldLetACallerWithNativeAccessThrough() {
        assertTrue(NativeAccessTest.class.getModule().isNativeAccessEnabled(), "surefire grants ALL-UNNAMED");
        NativeAccess.check(NativeAccessTest.class, PageAllocatorBuilder.class, "PageAllocatorBuilder.withProvider");
        try (Arena arena = Arena.ofConfined()) {
            // The builder's restricted setters find this test class as their caller and let it through.
            dev.pagealloc.api.PageAllocator.builder().withStaticBuffer(arena.allocate(4096, 4096));
        }
    }

    @Test
    void shouldNameTheFlagForNamedAndUnnamedModules() {
        assertEquals("--enable-native-access=java.base", NativeAccess.enableFlag(Object.class.getModule()));
        assertEquals("--enable-native-access=ALL-UNNAMED", NativeAccess.enableFlag(getClass().getModule()));
    }
}
