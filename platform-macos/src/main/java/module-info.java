/**
 * pagealloc on macOS (arm64 and x86-64): reserve, commit, protect, guard and superpages through
 * Mach VM, bound with the Foreign Function &amp; Memory API. Run with
 * {@code --enable-native-access=dev.pagealloc.macos}.
 */
module dev.pagealloc.macos {
    requires dev.pagealloc.api;
    requires dev.pagealloc.platform.support;
    requires com.github.oshi;
    // OSHI, an automatic module, logs through slf4j-api, an explicit module: nothing else requires it, so
    // without this line it is never resolved on the module path and OSHI fails to link there.
    requires org.slf4j;

    provides dev.pagealloc.spi.PlatformProvider with dev.pagealloc.macos.MacPlatformProvider;
}
