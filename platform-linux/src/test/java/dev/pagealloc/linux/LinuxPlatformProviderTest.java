package dev.pagealloc.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.spi.PlatformProvider;
import dev.pagealloc.spi.PlatformProvider.Support;
import dev.pagealloc.spi.PlatformRequest;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** Selection of the Linux provider: where it runs, how it is found, what it opens. */
// Binds and calls the real Linux kernel (or reads its /proc); other OSes run their own backends.
@EnabledOnOs(OS.LINUX)
class LinuxPlatformProviderTest {

    @Test
    void shouldSupportLinuxOnAmd64AndAarch64Only() {
        assertEquals(Support.yes("os.name=Linux, os.arch=amd64"), LinuxPlatformProvider.support("Linux", "amd64"));
        assertEquals(Support.yes("os.name=Linux, os.arch=aarch64"), LinuxPlatformProvider.support("Linux", "aarch64"));
        assertEquals(Support.no("os.name=Linux, os.arch=riscv64: only amd64 and aarch64 system call numbers are known"),
                LinuxPlatformProvider.support("Linux", "riscv64"));
        assertEquals(Support.no("os.name=Mac OS X, os.arch=aarch64: not Linux"),
                LinuxPlatformProvider.support("Mac OS X", "aarch64"));
    }

    @Test
    void shouldBeFoundByTheServiceLoaderAndWinOnThisMachine() {
        PlatformProvider linux = ServiceLoader.load(PlatformProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("linux")).findFirst().orElseThrow();
        assertEquals(100, linux.priority());
        assertTrue(linux.support().supported(), linux.support().reason());
        assertEquals("linux", PageAllocator.builder().build().platform(), "the highest supported provider is chosen");
    }

    @Test
    void shouldOpenOneSharedVirtualMemory() {
        LinuxPlatformProvider provider = new LinuxPlatformProvider();
        assertSame(provider.open(PlatformRequest.NONE), new LinuxPlatformProvider().open(PlatformRequest.NONE));
        assertEquals("linux", provider.open(PlatformRequest.NONE).capabilities().platform());
        assertFalse(provider.open(PlatformRequest.NONE).capabilities().memoryTagging());
    }
}
