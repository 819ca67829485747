package dev.pagealloc.wasm;

import dev.pagealloc.api.Region;
import java.lang.foreign.MemorySegment;

/**
 * One slot of a {@link MemoryPool}: {@code slotBytes} of the pool's reservation followed by a guard that is
 * also the next slot's guard before. Its accessible prefix {@code [0, accessibleBytes)} is committed
 * read-write, the rest inaccessible, as the kernel sees it. When {@link #image} is set, the image is mapped
 * privately over the slot's first pages (whatever their protection), so committing them again reads the
 * image.
 *
 * <p>Not thread-safe: the pool's lock guards every field.
 */
final class PoolSlot {
    final int index;
    /** From the pool region's base, in bytes. */
    final long byteOffset;
    /** The committed, read-write prefix, in bytes; a multiple of the region's granule. */
    long accessibleBytes;
    /** The copy-on-write image mapped at the slot's start, or null. */
    MemoryImage image;

    PoolSlot(int index, long byteOffset) {
        this.index = index;
        this.byteOffset = byteOffset;
    }

    /**
     * Makes {@code [0, bytes)} exactly the accessible prefix: commits what is missing, decommits the excess.
     *
     * @return the change of committed bytes
     * @throws dev.pagealloc.api.PageAllocatorException if the platform refuses; the slot is then as it was
     */
    long resize(Region region, long bytes) {
        long before = accessibleBytes;
        if (bytes > before) {
            region.recommit(byteOffset + before, bytes - before);
        } else if (bytes < before) {
            region.decommit(byteOffset + bytes, before - bytes);
        }
        accessibleBytes = bytes;
        return bytes - before;
    }

    /**
     * Resets the slot once no view of it is alive: the first {@code keepResidentBytes} are zeroed in place
     * (or, under an image, discarded back to it) and stay committed; the rest is decommitted, so it reads
     * zero when committed again and goes back to the system.
     *
     * @param region the pool's region
     * @param keepResidentBytes the bytes to keep committed, a multiple of the granule
     * @return the change of committed bytes (zero or negative)
     * @throws dev.pagealloc.api.PageAllocatorException if the platform refuses
     */
    @SuppressWarnings("restricted") // see the SAFETY line
    long reset(Region region, long keepResidentBytes) {
        long kept = Math.min(keepResidentBytes, accessibleBytes);
        if (kept > 0) {
            if (image != null) {
                region.discard(byteOffset, kept); // private copies dropped: the image's pages show again
            } else {
                // SAFETY: [base + byteOffset, + kept) is committed read-write (kept <= accessibleBytes) and no
                // other segment of it is alive: the generation's arena is closed; this one is dropped at once.
                MemorySegment.ofAddress(region.address() + byteOffset).reinterpret(kept).fill((byte) 0);
            }
        }
        return resize(region, kept);
    }

    /** Decommits the whole slot and puts plain reserved pages back where the image was mapped. */
    long dropImage(Region region, String operation) {
        long change = resize(region, 0);
        if (image != null) {
            image.unmapFrom(region.address() + byteOffset, operation);
            image = null;
        }
        return change;
    }
}
