package dev.pagealloc.wasm;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.ViewSharing;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The allocators behind memories of their own: one per page size and guard layout, built on first use
 * and shared by every memory of that kind. Each hands out {@link ViewSharing#SHARED} views, so a memory
 * works from any thread and can be released from any thread; their release is batched by the core's
 * view quarantine ({@link dev.pagealloc.api.ViewQuarantine#DEFAULT}).
 *
 * <p>Building one probes nothing: {@code PageAllocator.builder().build()} with these options asks the
 * platform for no capability, so the first memory of a JVM pays only for binding the platform.
 *
 * <p>Thread-safe.
 */
final class Allocators {
    private static final ConcurrentMap<Key, PageAllocator> ALLOCATORS = new ConcurrentHashMap<>();

    private Allocators() {}

    private record Key(long pageBytes, long guardBeforeBytes, long guardAfterBytes) {}

    /**
     * {@return the shared allocator for pages of {@code pageBytes} with these guards}
     *
     * @param pageBytes the page unit, in bytes: 65536 or 1
     * @param guardBeforeBytes the guard before each region, in bytes
     * @param guardAfterBytes the guard after each region, in bytes
     */
    static PageAllocator forPages(long pageBytes, long guardBeforeBytes, long guardAfterBytes) {
        Key key = new Key(pageBytes, guardBeforeBytes, guardAfterBytes);
        PageAllocator allocator = ALLOCATORS.get(key);
        return allocator != null ? allocator : ALLOCATORS.computeIfAbsent(key, k -> PageAllocator.builder()
                .withPageBytes(k.pageBytes())
                .withGuardBytes(k.guardBeforeBytes(), k.guardAfterBytes())
                .withViewSharing(ViewSharing.SHARED)
                .build());
    }

    /** {@return the shared allocator of 64 KiB pages without guards: the one images are prepared on} */
    static PageAllocator forImages() {
        return forPages(MemoryType.WASM_PAGE_BYTES, 0, 0);
    }
}
