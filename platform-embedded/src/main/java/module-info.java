/**
 * pagealloc's embedded provider: regions live in one fixed buffer (the caller's static buffer, or
 * one the provider allocates), pages are tracked in a page table, protection is enforced in
 * software through the views pagealloc hands out, and inaccessible pages hold a canary pattern
 * that is verified. No page system call is made, so it works on any platform and is the fallback
 * when no OS provider is supported.
 *
 * <p>The module makes restricted FFM calls (it allocates its buffer with the C library's
 * {@code calloc} and builds views over raw addresses), so run it with
 * {@code --enable-native-access=dev.pagealloc.api,dev.pagealloc.embedded}.
 */
module dev.pagealloc.embedded {
    requires dev.pagealloc.api;

    provides dev.pagealloc.spi.PlatformProvider with dev.pagealloc.embedded.EmbeddedPlatformProvider;
}
