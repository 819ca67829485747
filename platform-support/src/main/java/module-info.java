/**
 * What pagealloc's platform modules share below the SPI: binding a platform's C functions through the
 * Foreign Function &amp; Memory API ({@link dev.pagealloc.platform.support.NativeBinder}) and the small
 * helpers every backend would otherwise write again. A new platform module requires this module and
 * {@code dev.pagealloc.api}; neither names it.
 *
 * <p>The module makes restricted FFM calls (it links downcalls), so applications grant it native access
 * with the platform modules: {@code --enable-native-access=dev.pagealloc.platform.support,...}.
 */
module dev.pagealloc.platform.support {
    requires transitive dev.pagealloc.api;

    exports dev.pagealloc.platform.support;
}
