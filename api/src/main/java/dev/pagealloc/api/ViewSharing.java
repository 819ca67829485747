package dev.pagealloc.api;

/**
 * Which threads may use the {@link java.lang.foreign.MemorySegment}s a region hands out, and so
 * what taking access away costs.
 *
 * <p>A region's views are invalidated (they throw {@link IllegalStateException}) whenever access
 * is taken away: on deallocate, decommit, and protect to a weaker protection. That promise is what
 * keeps a stale view from touching an unmapped or protected page, which would crash the JVM.
 * Invalidating means closing the arena the views belong to, and the two kinds differ in price.
 * With {@link #SHARED} a deallocation defers that close and batches it ({@link ViewQuarantine}).
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
     * Any thread may use the views, and any thread may deallocate the region. Invalidation closes a
     * shared arena, which is a handshake with every Java thread: tens of microseconds on an idle JVM,
     * milliseconds with many busy threads. A protect or decommit that takes access away pays it (it
     * closes only the arena of that region's views). A deallocation does not: the region's contents
     * are discarded at once and its reservation waits, never reused, until one close, made on the
     * quarantine thread, retires a batch of dead regions ({@link ViewQuarantine}, which says what a
     * stale view reads meanwhile: zero, never another region's data, never a fault).
     *
     * <p>While a JDK call holds a view (an NIO transfer, a downcall), the JDK keeps the arena open, so
     * a protect or decommit that invalidates views throws {@link IllegalStateException} and changes
     * nothing; call it again once that call has returned (a deallocation with
     * {@link ViewQuarantine#NONE} too).
     *
     * <p>A platform thread inside a bulk operation on a view ({@code asByteBuffer()} bulk
     * {@code get}/{@code put}, {@code MemorySegment.copy}, {@code fill}) when the arena closes gets
     * {@link IllegalStateException} <b>and is left with its interrupt status set</b>: HotSpot
     * delivers the exception asynchronously and interrupts the thread to do so
     * ({@code JavaThread::install_async_exception}, openjdk/jdk). A thread that catches the exception
     * and goes on should clear the interrupt with {@link Thread#interrupted()}, or its next blocking
     * call throws {@link InterruptedException}.
     */
    SHARED
}
