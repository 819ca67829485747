package dev.pagealloc.api;

/**
 * Which threads may use the {@link java.lang.foreign.MemorySegment}s a region hands out, and so
 * what taking access away costs.
 *
 * <p>A region's views are invalidated (they throw {@link IllegalStateException}) whenever access
 * is taken away: on deallocate, decommit, and protect to a weaker protection. That promise is what
 * keeps a stale view from touching an unmapped or protected page, which would crash the JVM.
 * Invalidating means closing the arena the views belong to, and the two kinds differ in price.
 */
public enum ViewSharing {
    /**
     * Views are confined to the thread that first asks a region for a view; other threads get
     * {@link WrongThreadException}. Invalidation costs well under a microsecond. Operations that
     * invalidate views must then run on that thread too. The default.
     */
    CONFINED,
    /**
     * Any thread may use the views. Invalidation closes a shared arena, which is a handshake with
     * every Java thread: tens of microseconds on an idle JVM, milliseconds with many busy threads.
     */
    SHARED
}
