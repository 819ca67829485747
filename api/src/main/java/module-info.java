/**
 * pagealloc's public API: {@link dev.pagealloc.api.PageAllocator} and its values, the
 * {@link dev.pagealloc.spi.PlatformProvider} SPI that platform modules implement, and (for
 * pagealloc's own modules only) the shared logic that sits above every platform.
 *
 * <p>The module makes restricted FFM calls (it builds bounded segments over reserved address
 * space), so applications run it with {@code --enable-native-access=dev.pagealloc.api} plus the
 * platform module they use.
 */
module dev.pagealloc.api {
    exports dev.pagealloc.api;
    exports dev.pagealloc.spi;
    exports dev.pagealloc.internal to
            dev.pagealloc.linux,
            dev.pagealloc.macos,
            dev.pagealloc.windows,
            dev.pagealloc.embedded,
            dev.pagealloc.cli;

    // Flight Recorder events of region operations (dev.pagealloc.internal.observe).
    requires jdk.jfr;

    uses dev.pagealloc.spi.PlatformProvider;
}
