/**
 * pagealloc on Windows (x64): reserve, commit, protect, guard, large pages and NUMA preference
 * through VirtualAlloc, VirtualProtect and VirtualFree, bound with the Foreign Function &amp; Memory
 * API. Run with {@code --enable-native-access=dev.pagealloc.windows}.
 */
module dev.pagealloc.windows {
    requires dev.pagealloc.api;
    requires dev.pagealloc.platform.support;
    requires com.github.oshi;
    // OSHI, an automatic module, logs through slf4j-api, an explicit module: nothing else requires it, so
    // without this line it is never resolved on the module path and OSHI fails to link there.
    requires org.slf4j;

    provides dev.pagealloc.spi.PlatformProvider with dev.pagealloc.windows.WindowsPlatformProvider;
}
