package dev.pagealloc.embedded;

import dev.pagealloc.api.Units;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The address ranges the embedded page tables of this JVM manage. Two page tables over the same
 * bytes would each hand out the same pages to different regions (writes through one would show in
 * the other, and a decommit in one would write canaries into the other's live page), so a range
 * is claimed when a page table is created and a claim that overlaps a live one is refused.
 *
 * <p>There is no allocator {@code close()}, so a claim ends when its page table is garbage: the
 * page table holds its {@link Claim} strongly, and it is itself held by its allocator, that
 * allocator's regions, and (through a cleanup action of the region's view arena, see
 * {@link EmbeddedVirtualMemory#view}) every view still usable; this registry holds the claim
 * weakly. So a claim outlives the last use of the buffer through pagealloc, never the other way
 * round, and is released at the first garbage collection after it.
 *
 * <p>Thread-safe: every method holds the class's monitor.
 */
final class BufferClaims {
    private BufferClaims() {}

    /**
     * The token a page table holds for as long as it may touch {@code [start, end)}.
     *
     * @param start the first address
     * @param end one past the last address
     */
    record Claim(long start, long end) {}

    private static final List<WeakReference<Claim>> CLAIMS = new ArrayList<>();

    /**
     * Claims {@code [address, address + byteSize)} for one page table.
     *
     * @param operation the operation, for the message
     * @param address the first address of the buffer
     * @param byteSize the bytes the page table manages
     * @return the claim, which the page table must hold strongly
     * @throws IllegalArgumentException if any byte of the range is claimed by a live page table
     */
    static synchronized Claim claim(String operation, long address, long byteSize) {
        long end = address + byteSize;
        for (Iterator<WeakReference<Claim>> it = CLAIMS.iterator(); it.hasNext(); ) {
            Claim other = it.next().get();
            if (other == null) {
                it.remove();
            } else if (address < other.end() && other.start() < end) {
                long from = Math.max(address, other.start());
                long to = Math.min(end, other.end());
                throw new IllegalArgumentException(operation + ": bytes [" + Units.hex(from) + ", " + Units.hex(to)
                        + ") are already managed by another embedded allocator, whose buffer is "
                        + Units.hex(other.start()) + "+" + (other.end() - other.start()) + "; two allocators over the"
                        + " same memory would hand out overlapping regions. Use that allocator, or give this one"
                        + " memory of its own: the other's claim ends once it, its regions and their views are"
                        + " unreachable and garbage-collected");
            }
        }
        Claim claim = new Claim(address, end);
        CLAIMS.add(new WeakReference<>(claim));
        return claim;
    }

    /**
     * Drops every claim inside {@code [address, address + byteSize)}, whose page tables are
     * garbage: called just before the memory is freed.
     *
     * @param address the first address of the memory being freed
     * @param byteSize its size, in bytes
     */
    static synchronized void forget(long address, long byteSize) {
        long end = address + byteSize;
        CLAIMS.removeIf(reference -> {
            Claim claim = reference.get();
            return claim == null || (claim.start() >= address && claim.end() <= end);
        });
    }
}
