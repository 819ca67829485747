package dev.pagealloc.embedded;

import dev.pagealloc.api.Units;
import dev.pagealloc.spi.LiveRegions;
import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * The address ranges the embedded page tables of this JVM manage. Two page tables over the same
 * bytes would each hand out the same pages to different regions (writes through one would show in
 * the other, and a decommit in one would write canaries into the other's live page), so a range
 * is claimed when a page table is created and a claim that overlaps a live one is refused. So is
 * a claim on bytes in the reservation of a live region of any pagealloc allocator
 * ({@link LiveRegions}): pagealloc may protect or release those pages under the views.
 *
 * <p>There is no allocator {@code close()}, so a claim ends when its page table is garbage: the
 * page table is held by its allocator, that allocator's regions, and (through a cleanup action of
 * the region's view arena, see {@link EmbeddedVirtualMemory#view}) every view still usable, and
 * the registry notices through a phantom reference that it is gone. So a claim outlives the last
 * use of the buffer through pagealloc, never the other way round. Ending a claim also forgets the
 * reservations of the page table's regions that were never deallocated, which would otherwise
 * make the next page table over those bytes look like a live region.
 *
 * <p>Thread-safe: every method holds the class's monitor.
 */
final class BufferClaims {
    private BufferClaims() {}

    /** A claim on {@code [start, end)} that lasts while its page table is reachable. */
    private static final class Claim extends PhantomReference<Object> {
        final long start;
        final long end;

        Claim(Object owner, long start, long end) {
            super(owner, ENDED);
            this.start = start;
            this.end = end;
        }
    }

    /** Claims whose page table has become unreachable. */
    private static final ReferenceQueue<Object> ENDED = new ReferenceQueue<>();
    /** The live claims; the set also keeps each phantom reference itself reachable until it is processed. */
    private static final Set<Claim> CLAIMS = new HashSet<>();

    /**
     * Claims {@code [address, address + byteSize)} for {@code owner}, a page table, until it is
     * garbage.
     *
     * @param operation the operation, for the message
     * @param owner the page table
     * @param address the first address of the buffer
     * @param byteSize the bytes the page table manages
     * @throws IllegalArgumentException if any byte of the range is claimed by a live page table, or
     *     lies in the reservation of a live region of any pagealloc allocator
     */
    static synchronized void claim(String operation, Object owner, long address, long byteSize) {
        endUnreachableClaims();
        long end = address + byteSize;
        for (Claim other : CLAIMS) {
            if (address < other.end && other.start < end) {
                throw new IllegalArgumentException(operation + ": bytes [" + Units.hex(Math.max(address, other.start))
                        + ", " + Units.hex(Math.min(end, other.end)) + ") are already managed by another embedded"
                        + " allocator, whose buffer is " + Units.hex(other.start) + "+" + (other.end - other.start)
                        + "; two allocators over the same memory would hand out overlapping regions. Use that"
                        + " allocator, or give this one memory of its own: the other's claim ends once it, its"
                        + " regions and their views are unreachable and garbage-collected");
            }
        }
        Optional<LiveRegions.Range> region = LiveRegions.overlapping(address, byteSize);
        if (region.isPresent()) {
            LiveRegions.Range r = region.get();
            throw new IllegalArgumentException(operation + ": bytes [" + Units.hex(Math.max(address, r.start())) + ", "
                    + Units.hex(Math.min(end, r.end())) + ") lie in the reservation of a live pagealloc region, "
                    + Units.hex(r.start()) + "+" + (r.end() - r.start()) + "; pagealloc may protect or release those"
                    + " pages at any time, and views over them would then fault");
        }
        CLAIMS.add(new Claim(owner, address, end));
    }

    /**
     * Ends every claim inside {@code [address, address + byteSize)}, and forgets the reservations
     * in it: called just before that memory is freed, whose page tables are garbage, but whose
     * claims may not have been processed yet.
     *
     * @param address the first address of the memory being freed
     * @param byteSize its size, in bytes
     */
    static synchronized void forget(long address, long byteSize) {
        endUnreachableClaims();
        long end = address + byteSize;
        CLAIMS.removeIf(claim -> claim.start >= address && claim.end <= end);
        LiveRegions.forgetWithin(address, byteSize);
    }

    private static void endUnreachableClaims() {
        for (Reference<?> ended; (ended = ENDED.poll()) != null; ) {
            Claim claim = (Claim) ended;
            if (CLAIMS.remove(claim)) {
                LiveRegions.forgetWithin(claim.start, claim.end - claim.start);
            }
        }
    }
}
