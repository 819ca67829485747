/**
 * pagealloc on Linux (x86-64 and arm64): reserve, commit, protect, guard, huge pages and NUMA
 * through {@code mmap}, {@code mprotect}, {@code madvise} and {@code mbind}, bound with the Foreign
 * Function &amp; Memory API. Run with {@code --enable-native-access=dev.pagealloc.linux}.
 */
module dev.pagealloc.linux {
    requires dev.pagealloc.api;
    requires dev.pagealloc.platform.support;

    provides dev.pagealloc.spi.PlatformProvider with dev.pagealloc.linux.LinuxPlatformProvider;
}
