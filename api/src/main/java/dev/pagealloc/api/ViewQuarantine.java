package dev.pagealloc.api;

import java.time.Duration;
import java.util.Objects;

/**
 * How {@link ViewSharing#SHARED} views of deallocated regions are retired in batches, so that a
 * deallocation does not pay a handshake with every Java thread.
 *
 * <p>Closing a shared arena is a handshake with every thread (tens of microseconds idle, more with
 * busy threads), and it is the only way the JDK offers to make segments throw. So a deallocated
 * shared region does not close its views' arena at once. Instead:
 * <ol>
 *   <li>its pages' contents are discarded at once (their memory goes back to the system, as by
 *       {@link Region#discard}); the pages keep their protection and stay mapped;
 *   <li>its reservation stays reserved, used by no one else, in a quarantine; its budget charge is
 *       refunded and its bytes leave {@link AllocatorStatistics#committedBytes()};
 *   <li>its views' arena, still open, is handed to the next region of the same allocator that asks
 *       for a view (an arena serves at most one live region at a time, so one region's protect or
 *       decommit never invalidates another live region's views);
 *   <li>the arena is closed, and the reservations of every dead region whose views it held are
 *       released (those that touch end to end with one system call, where the platform allows it),
 *       once it serves no live region and it holds {@link #regions()} dead regions, or
 *       {@link #bytes()} of their reservations, or its oldest dead region is older than
 *       {@link #age()}. The close is a handshake with every Java thread, so it is made on the
 *       quarantine's own thread (one daemon thread for the JVM, named
 *       {@code pagealloc-view-quarantine}, which also runs the age checks), not on the deallocating
 *       thread (but for the bounds below): a deallocation costs a discard and a little bookkeeping.
 *       The quarantine thread closes one arena after another. Until it has taken a full arena (while
 *       it wakes up, or closes others), that arena is still handed to the next region that asks for a
 *       view, so batches grow while closes are slow (busy threads, a loaded machine) and the
 *       handshakes per deallocation fall, up to 16 times {@link #regions()} dead regions in one arena.
 * </ol>
 *
 * <h2 id="stale">What a stale view does</h2>
 * Between its region's {@link Region#deallocate()} and the close of its arena (on the quarantine
 * thread, so possibly after the deallocation that made the batch due has returned), a stale view of a
 * quarantined region <b>reads zero</b> (or what stale views of that same region wrote since), and a
 * write through it succeeds and is lost when the range is released. It never faults (the pages keep
 * the protection the view was made for, and stay mapped, in the kernel's view, with it) and never
 * reads another region's data (the range is not reused until it is released, which happens only
 * after the arena is closed). After the close it throws {@link IllegalStateException}, as every
 * invalidated view does. A JDK call that holds a view (an NIO transfer through
 * {@code asByteBuffer()}, a downcall) no longer makes {@link Region#deallocate()} fail: it goes on
 * over zeroed pages; when it still holds the arena at the batch's close, the close is tried again at
 * the next check (an allocation, a deallocation, a view's first arena, or the age timer).
 *
 * <p>A dead region whose arena was taken over by a live region waits for that region: its range is
 * released when that region is deallocated and its batch closes, or when that region's protect or
 * decommit closes the arena (on the calling thread, which pays that handshake). An arena that holds
 * 16 times {@link #regions()} dead regions, or {@link #bytes()}, is never taken over, so a live
 * region holds fewer than that many dead ones. When the dead regions of all arenas reach 64 times
 * {@link #regions()} (or their reservations 64 times {@link #bytes()}), every arena that serves no
 * live region is due; when they reach 256 times (the quarantine thread cannot keep up), or an
 * allocation would otherwise be refused for the
 * {@linkplain PageAllocatorBuilder#withMappingHeadroom(long) mapping headroom}, the calling thread
 * closes every such arena itself and releases their dead regions (quarantined regions keep their
 * memory mappings until then, and count against the limit).
 *
 * @param regions dead regions an arena collects before it is due for closing; {@code >= 1} (1 closes
 *     each region's arena on its deallocation, on the deallocating thread, as without a quarantine)
 * @param bytes reserved bytes of dead regions an arena collects before it is due for closing, and
 *     past which it is never taken over, guards included; {@code >= 1}
 * @param age the longest a dead region waits in a free arena; positive
 * @apiNote Immutable and thread-safe. Applies to {@link ViewSharing#SHARED} only: closing a confined
 *     arena costs no handshake, so confined regions are released at once.
 */
public record ViewQuarantine(long regions, long bytes, Duration age) {
    /** The default: 64 regions, 1 GiB, one second. */
    public static final ViewQuarantine DEFAULT = new ViewQuarantine(64, 1L << 30, Duration.ofSeconds(1));
    /** No quarantine: every deallocation closes its views' arena and releases at once. */
    public static final ViewQuarantine NONE = new ViewQuarantine(1, 1, Duration.ofNanos(1));

    /**
     * Checks the policy.
     *
     * @throws NullPointerException if {@code age} is null
     * @throws IllegalArgumentException if {@code regions < 1}, {@code bytes < 1} or {@code age} is not
     *     positive
     */
    public ViewQuarantine {
        Objects.requireNonNull(age, "ViewQuarantine(age=null): age must not be null");
        if (regions < 1 || bytes < 1 || age.isNegative() || age.isZero()) {
            throw new IllegalArgumentException("ViewQuarantine(regions=" + regions + ", bytes=" + bytes + ", age="
                    + age + "): regions and bytes must be at least 1 and age positive");
        }
    }

    /** {@return whether every deallocation releases at once ({@code regions == 1})} */
    public boolean isNone() {
        return regions == 1;
    }
}
