/**
 * pagealloc's public API: {@link dev.pagealloc.api.PageAllocator} and its values, the
 * {@link dev.pagealloc.spi.PlatformProvider} SPI that platform modules implement, and the shared logic
 * that sits above every platform (in a package it exports to no one: it names none of its plugins).
 * What platform modules share below the SPI (FFM binding) lives in {@code dev.pagealloc.platform.support}.
 *
 * <p>The module makes restricted FFM calls (it builds bounded segments over reserved address
 * space), so applications run it with {@code --enable-native-access=dev.pagealloc.api} plus the
 * platform module they use.
 */
module dev.pagealloc.api {
    exports dev.pagealloc.api;
    exports dev.pagealloc.spi;

    // Flight Recorder events of region operations (dev.pagealloc.internal.observe).
    requires jdk.jfr;

    uses dev.pagealloc.spi.PlatformProvider;
}
