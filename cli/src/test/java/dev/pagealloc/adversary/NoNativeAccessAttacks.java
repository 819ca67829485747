package dev.pagealloc.adversary;

import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PageAllocatorBuilder;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.ProviderStatus;
import dev.pagealloc.spi.Backing;
import dev.pagealloc.spi.ExecutableMemory;
import dev.pagealloc.spi.PlatformProvider;
import dev.pagealloc.spi.PlatformRequest;
import dev.pagealloc.spi.VirtualMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;

/**
 * A program that attacks pagealloc from code pagealloc must not serve: run by {@code RestrictedMethodsTest}
 * on the class path (the unnamed module) while pagealloc's modules sit on the module path with native
 * access, under {@code --illegal-native-access=deny}. Its package belongs to no pagealloc module, so the
 * class loads from the class path even though the CLI's own test classes share its folder.
 *
 * <p>Prints one line per attack, {@code <attack>: ALLOWED <what it got>}, {@code <attack>: REFUSED <the
 * IllegalCallerException's message>} or {@code <attack>: FAILED <another exception>}, and exits 0 unless
 * an attack crashed the JVM. The argument says where attacks point: {@code wild} (0x1000, unmapped: a
 * successful attack crashes the JVM there, as in the issue) or {@code valid} (memory this program
 * allocated, for the run that grants it native access and expects every call to work).
 */
public final class NoNativeAccessAttacks {
    /** The provider name of {@link EvilProvider}, which the test registers through {@code META-INF/services}. */
    static final String EVIL = "evil";
    private static final long PAGE = 4096;

    private NoNativeAccessAttacks() {}

    /**
     * Runs every attack.
     *
     * @param args {@code wild} or {@code valid}
     */
    public static void main(String[] args) {
        long target = "wild".equals(args[0]) ? 0x1000 : Arena.global().allocate(4 * PAGE, PAGE).address();
        EvilProvider.target = target;
        // A request any code may build: pagealloc opens the embedded provider on its own behalf.
        PlatformRequest request = PlatformRequest.NONE;

        // SAFETY: none needed: the control attack is this JVM's own restricted call, refused when the
        // test runs without native access and reading memory it allocated otherwise.
        @SuppressWarnings("restricted")
        Callable<String> control = () -> "read " + read(MemorySegment.ofAddress(target).reinterpret(8));
        attack("control-reinterpret", control);
        for (PlatformProvider provider : pageallocProviders()) {
            attack("open(" + provider.name() + ")", () -> "obtained " + provider.open(request).getClass().getName());
        }
        PlatformProvider embedded = pageallocProviders().stream().filter(p -> p.name().equals("embedded")).findFirst()
                .orElseThrow();
        // Through a JDK method, Optional.map in java.base (which has native access) calls open.
        attack("open-method-reference", () -> "obtained " + Optional.of(request).map(embedded::open).orElseThrow()
                .getClass().getName());
        attack("withStaticBuffer", () -> {
            // The embedded provider takes only buffers no arena can free (a global one); before the
            // check, any caller could pass a buffer and later free it under the region's live views.
            PageAllocator allocator = PageAllocator.builder().withPlatform("embedded").withPageBytes(PAGE)
                    .withGuardPages(false).withStaticBuffer(Arena.global().allocate(16 * PAGE, PAGE)).build();
            return "view of " + allocator.allocate(1, 1).segment().byteSize() + " bytes";
        });
        attack("withStaticBuffer-reflection", () -> {
            PageAllocatorBuilder builder = PageAllocator.builder();
            PageAllocatorBuilder.class.getMethod("withStaticBuffer", MemorySegment.class)
                    .invoke(builder, Arena.global().allocate(16 * PAGE, PAGE));
            return "accepted";
        });
        attack("view-default-proxy", () -> "read " + read(proxyMemory().view(target, 8, Arena.global())));
        attack("view-default", () -> "read " + read(new EvilMemory().view(target, 8, Arena.global())));
        attack("withProvider", () -> {
            PageAllocator allocator = PageAllocator.builder().withProvider(new EvilProvider()).withPageBytes(PAGE)
                    .withGuardPages(false).build();
            return "read " + read(allocator.allocate(1, 1).segment());
        });
        attack("platformFeature", () -> "obtained " + PageAllocator.builder().withPageBytes(PAGE)
                .withGuardPages(false).build().platformFeature(ExecutableMemory.class).reason());
        selection();
        System.out.flush();
    }

    /** A provider registered by this program outranks pagealloc's: is it selected, and are its addresses trusted? */
    private static void selection() {
        String status = PageAllocator.providers().stream().filter(s -> s.name().equals(EVIL)).findFirst()
                .map(ProviderStatus::reason).orElse("not found");
        PageAllocator allocator;
        try {
            allocator = PageAllocator.builder().withPageBytes(PAGE).withGuardPages(false).build();
        } catch (RuntimeException e) {
            System.out.println("selection: FAILED " + e);
            return;
        }
        if (!allocator.platform().equals(EVIL)) {
            System.out.println("selection: NOT-SELECTED platform=" + allocator.platform() + "; " + EVIL + ": "
                    + status);
            return;
        }
        attack("selection", () -> "selected, read " + read(allocator.allocate(1, 1).segment()));
    }

    /** The dangerous step: with a wild target, a successful attack dies here of SIGSEGV. */
    private static long read(MemorySegment segment) {
        return segment.get(ValueLayout.JAVA_LONG, 0);
    }

    private static List<PlatformProvider> pageallocProviders() {
        return ServiceLoader.load(PlatformProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(p -> !(p instanceof EvilProvider))
                .sorted(Comparator.comparing(PlatformProvider::name))
                .toList();
    }

    private static void attack(String name, Callable<String> body) {
        String outcome;
        try {
            outcome = "ALLOWED " + body.call();
        } catch (IllegalCallerException e) {
            outcome = "REFUSED " + e.getMessage();
        } catch (java.lang.reflect.InvocationTargetException e) {
            outcome = e.getCause() instanceof IllegalCallerException c
                    ? "REFUSED " + c.getMessage()
                    : "FAILED " + e.getCause();
        } catch (Exception e) {
            outcome = "FAILED " + e;
        }
        System.out.println(name + ": " + outcome);
        System.out.flush();
    }

    /** Implements the SPI with nothing but the default methods of the interface running. */
    private static VirtualMemory proxyMemory() {
        InvocationHandler handler = (proxy, method, arguments) -> {
            if (method.isDefault()) {
                return InvocationHandler.invokeDefault(proxy, method, arguments);
            }
            throw new UnsupportedOperationException(method.getName());
        };
        return (VirtualMemory) Proxy.newProxyInstance(NoNativeAccessAttacks.class.getClassLoader(),
                new Class<?>[] {VirtualMemory.class}, handler);
    }

    /** Primitives that "reserve" whatever address the attacker likes and make no system call. */
    static final class EvilMemory implements VirtualMemory {
        /** Capabilities borrowed from the embedded provider, which pagealloc opens on its own behalf. */
        private static final Capabilities CAPABILITIES = PageAllocator.builder().withPlatform("embedded").build()
                .capabilities();

        @Override
        public Capabilities capabilities() {
            return CAPABILITIES;
        }

        @Override
        public long reserve(long byteSize, long alignmentBytes, Backing backing) {
            return EvilProvider.target;
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
    }

    /** The highest-priority provider there is, opening {@link EvilMemory}. */
    public static final class EvilProvider implements PlatformProvider {
        static volatile long target = 0x1000;

        /** Creates it; the service loader calls this. */
        public EvilProvider() {}

        @Override
        public String name() {
            return EVIL;
        }

        @Override
        public int priority() {
            return 1_000_000;
        }

        @Override
        public Support support() {
            return Support.yes("claims every platform");
        }

        @Override
        public VirtualMemory open(PlatformRequest request) {
            return new EvilMemory();
        }
    }
}
