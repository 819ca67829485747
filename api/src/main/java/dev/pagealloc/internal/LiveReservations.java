package dev.pagealloc.internal;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The reservations of every live pagealloc region in this JVM. A provider that manages memory a
 * caller hands in (the embedded provider's static buffer) refuses memory that lies in one: pagealloc
 * may protect, decommit or release those pages at any time, and views made over them would then
 * fault, which is a JVM crash, not an exception.
 *
 * <p>Thread-safe. Allocate and deallocate pay one {@link ConcurrentHashMap} update each; the query
 * walks every entry, and is meant for rare checks such as building an allocator.
 */
public final class LiveReservations {
    private LiveReservations() {}

    /** First address of each live reservation to one past its last address. */
    private static final Map<Long, Long> END_BY_START = new ConcurrentHashMap<>();

    /**
     * A reservation's address range.
     *
     * @param start the first address
     * @param end one past the last address
     */
    public record Range(long start, long end) {}

    /** Records a reservation the moment the kernel made it. */
    static void add(long address, long byteSize) {
        END_BY_START.put(address, address + byteSize);
    }

    /**
     * Forgets a reservation; called before it is released, because the kernel may hand its
     * addresses to the next reservation as soon as it is released.
     */
    static void remove(long address) {
        END_BY_START.remove(address);
    }

    /** {@return the number of live reservations} */
    static int count() {
        return END_BY_START.size();
    }

    /**
     * Forgets every reservation inside {@code [address, address + byteSize)}: for a provider whose
     * memory is freed with regions still in it (the embedded provider's own buffer is freed once
     * unreachable, whether or not its regions were deallocated), so that stale entries do not make
     * the next user of those addresses look like a live region.
     *
     * @param address the first address of the memory being freed
     * @param byteSize its size, in bytes
     */
    public static void forgetWithin(long address, long byteSize) {
        long end = address + byteSize;
        END_BY_START.entrySet().removeIf(r -> r.getKey() >= address && r.getValue() <= end);
    }

    /**
     * {@return a live reservation that shares a byte with {@code [address, address + byteSize)}},
     * or empty if none does
     *
     * @param address the first address of the range
     * @param byteSize the range's size, in bytes; {@code address + byteSize} does not overflow
     */
    public static Optional<Range> overlapping(long address, long byteSize) {
        long end = address + byteSize;
        for (Map.Entry<Long, Long> reservation : END_BY_START.entrySet()) {
            if (address < reservation.getValue() && reservation.getKey() < end) {
                return Optional.of(new Range(reservation.getKey(), reservation.getValue()));
            }
        }
        return Optional.empty();
    }
}
