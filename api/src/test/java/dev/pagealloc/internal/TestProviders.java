package dev.pagealloc.internal;

import dev.pagealloc.spi.PlatformProvider;
import dev.pagealloc.spi.PlatformRequest;
import dev.pagealloc.spi.VirtualMemory;

/**
 * Providers registered in this module's test {@code META-INF/services}: one supported, one that
 * outranks it but is unsupported, so selection by priority and by name can be observed.
 */
public final class TestProviders {
    private TestProviders() {}

    /**
     * {@return a provider that is always supported and opens {@code memory}}, for tests that give it to
     * {@code withProvider}
     *
     * @param name the provider's name
     * @param memory what {@code open} returns
     */
    public static PlatformProvider of(String name, VirtualMemory memory) {
        return new PlatformProvider() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public int priority() {
                return 1;
            }

            @Override
            public Support support() {
                return Support.yes("test");
            }

            @Override
            public VirtualMemory open(PlatformRequest request) {
                return memory;
            }
        };
    }

    /** Supported, priority 50, opens a {@link FakeVirtualMemory}. */
    public static final class Supported implements PlatformProvider {
        /** Creates it; the service loader calls this. */
        public Supported() {}

        @Override
        public String name() {
            return "test-supported";
        }

        @Override
        public int priority() {
            return 50;
        }

        @Override
        public Support support() {
            return Support.yes("always, in tests");
        }

        @Override
        public VirtualMemory open(PlatformRequest request) {
            return new FakeVirtualMemory();
        }
    }

    /** Unsupported, priority 500. */
    public static final class Unsupported implements PlatformProvider {
        /** Creates it; the service loader calls this. */
        public Unsupported() {}

        @Override
        public String name() {
            return "test-unsupported";
        }

        @Override
        public int priority() {
            return 500;
        }

        @Override
        public Support support() {
            return Support.no("never, in tests");
        }

        @Override
        public VirtualMemory open(PlatformRequest request) {
            throw new UnsupportedOperationException("test-unsupported is never supported");
        }
    }
}
