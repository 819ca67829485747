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
 *       released, once it serves no live region and it holds {@link #regions()} dead regions, or
 *       {@link #bytes()} of their reservations, or its oldest dead region is older than
 *       {@link #age()} (checked by a timer, one daemon thread for the JVM named
 *       {@code pagealloc-view-quarantine}, and whenever the allocator allocates, deallocates or makes
 *       an arena). The close is a handshake; a batch that fills is closed by the deallocation that
 *       filled it, one that ages by the timer's thread.
 * </ol>
 *
 * <h2 id="stale">What a stale view does</h2>
 * Between its region's {@link Region#deallocate()} and the close of its arena, a stale view of a
 * quarantined region <b>reads zero</b> (or what stale views of that same region wrote since), and a
 * write through it succeeds and is lost when the range is released. It never faults (the pages keep
 * the protection the view was made for) and never reads another region's data (the range is not
 * reused until it is released, which happens only after the arena is closed). After the close it
 * throws {@link IllegalStateException}, as every invalidated view does. A JDK call that holds a view
 * (an NIO transfer through {@code asByteBuffer()}, a downcall) no longer makes
 * {@link Region#deallocate()} fail: it goes on over zeroed pages; when it still holds the arena at
 * the batch's close, the close is tried again at the next check.
 *
 * <p>A dead region whose arena was taken over by a live region waits for that region: its range is
 * released when that region is deallocated and its batch closes, or when that region's protect or
 * decommit closes the arena. An arena that holds {@link #regions()} dead regions is never taken
 * over, so a live region holds fewer than that many dead ones. When the dead regions of all arenas
 * reach 16 times {@link #regions()}, or an allocation would otherwise be refused for the
 * {@linkplain PageAllocatorBuilder#withMappingHeadroom(long) mapping headroom}, every arena that
 * serves no live region is closed at once and its dead regions released (quarantined regions keep
 * their memory mappings until then, and count against the limit).
 *
 * @param regions dead regions an arena collects before it is closed; {@code >= 1} (1 closes each
 *     region's arena on its deallocation, as without a quarantine)
 * @param bytes reserved bytes of dead regions an arena collects before it is closed, guards
 *     included; {@code >= 1}
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
