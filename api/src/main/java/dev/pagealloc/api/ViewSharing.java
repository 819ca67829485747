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
     * A region's live views are confined to the thread that asked for the first of them; other
     * threads asking for a view, or for an operation that invalidates views, get
     * {@link WrongThreadException} while that thread is alive. Once the views are invalidated or
     * the thread has ended, the next thread to ask owns the views (see {@link Region}, "Confined
     * views and other threads"). Invalidation costs well under a microsecond. The default.
     */
    CONFINED,
    /**
     * Any thread may use the views. Invalidation closes a shared arena, which is a handshake with
     * every Java thread: tens of microseconds on an idle JVM, milliseconds with many busy threads.
     * While a JDK call holds a view (an NIO transfer, a downcall), the JDK keeps the arena open, so
     * an operation that invalidates views throws {@link IllegalStateException} and changes
     * nothing; call it again once that call has returned.
     */
    SHARED
}
