package dev.pagealloc.testkit;

import dev.pagealloc.api.Protection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The simple model the random operation sequences are checked against: a page count, one state per
 * protection granule, the bytes written, and an epoch that counts the times views were invalidated.
 * It restates the region contract in the plainest terms and shares no code with the allocator.
 *
 * <p>Not thread-safe.
 */
final class RegionModel {
    /** A granule's state: a protection, or decommitted ({@code null}). */
    private final Protection[] granules;
    private final byte[] contents;
    private final long pageBytes;
    private final long granuleBytes;
    private final long maximumPages;
    private long pages;
    private long committedBytes;
    /** Incremented whenever the region must have invalidated every view. */
    private long epoch;

    RegionModel(long pageBytes, long granuleBytes, long initialPages, long maximumPages) {
        this.pageBytes = pageBytes;
        this.granuleBytes = granuleBytes;
        this.maximumPages = maximumPages;
        long usable = roundUp(maximumPages * pageBytes);
        this.granules = new Protection[(int) (usable / granuleBytes)];
        this.contents = new byte[(int) usable];
        grow(initialPages);
    }

    private long roundUp(long bytes) {
        return Math.ceilDiv(bytes, granuleBytes) * granuleBytes;
    }

    long pages() {
        return pages;
    }

    long maximumPages() {
        return maximumPages;
    }

    long byteSize() {
        return pages * pageBytes;
    }

    long committedBytes() {
        return committedBytes;
    }

    long granuleBytes() {
        return granuleBytes;
    }

    long epoch() {
        return epoch;
    }

    byte[] contents() {
        return contents;
    }

    /** {@return the state of the granule holding {@code byteOffset}: a protection, or null if decommitted} */
    Protection stateAt(long byteOffset) {
        return granules[(int) (byteOffset / granuleBytes)];
    }

    /**
     * {@return null if the grow succeeds (and applies it), else the exception type it must throw}:
     * past the maximum, or starting inside a last granule that is not read-write (a page unit
     * smaller than the granule)
     */
    Class<? extends Exception> grow(long additionalPages) {
        if (additionalPages > maximumPages - pages) {
            return dev.pagealloc.api.MaximumPagesExceededException.class;
        }
        long start = pages * pageBytes;
        if (additionalPages > 0 && start < committedBytes && stateAt(start) != Protection.READ_WRITE) {
            return IllegalStateException.class;
        }
        pages += additionalPages;
        long newCommitted = roundUp(pages * pageBytes);
        for (long g = committedBytes / granuleBytes; g < newCommitted / granuleBytes; g++) {
            granules[(int) g] = Protection.READ_WRITE;
        }
        committedBytes = Math.max(committedBytes, newCommitted);
        return null;
    }

    private boolean anyDecommitted(long start, long end) {
        for (long o = start; o < end; o += granuleBytes) {
            if (stateAt(o) == null) {
                return true;
            }
        }
        return false;
    }

    /** {@return null if the protect succeeds (and applies it), else the exception type it must throw} */
    Class<? extends Exception> protect(long start, long length, Protection protection) {
        if (length == 0) {
            return null;
        }
        if (anyDecommitted(start, start + length)) {
            return IllegalStateException.class;
        }
        boolean takesAccess = false;
        for (long o = start; o < start + length; o += granuleBytes) {
            takesAccess |= !stateAt(o).isWithin(protection);
            granules[(int) (o / granuleBytes)] = protection;
        }
        if (takesAccess) {
            epoch++;
        }
        return null;
    }

    void decommit(long start, long length) {
        if (length == 0) {
            return;
        }
        epoch++;
        for (long o = start; o < start + length; o += granuleBytes) {
            granules[(int) (o / granuleBytes)] = null;
        }
        Arrays.fill(contents, (int) start, (int) (start + length), (byte) 0);
    }

    Class<? extends Exception> recommit(long start, long length) {
        if (length == 0) {
            return null;
        }
        for (long o = start; o < start + length; o += granuleBytes) {
            if (stateAt(o) != null) {
                return IllegalArgumentException.class;
            }
        }
        for (long o = start; o < start + length; o += granuleBytes) {
            granules[(int) (o / granuleBytes)] = Protection.READ_WRITE;
        }
        return null;
    }

    Class<? extends Exception> discard(long start, long length) {
        if (length == 0) {
            return null;
        }
        if (anyDecommitted(start, start + length)) {
            return IllegalStateException.class;
        }
        Arrays.fill(contents, (int) start, (int) (start + length), (byte) 0);
        return null;
    }

    /** {@return the access a view of {@code [start, start + length)} gives: NONE if none can be made} */
    Protection viewAccess(long start, long length) {
        if (length == 0) {
            return Protection.READ_WRITE;
        }
        boolean writable = true;
        long first = start / granuleBytes * granuleBytes;
        for (long o = first; o < start + length; o += granuleBytes) {
            Protection p = stateAt(o);
            if (p == null || !p.isReadable()) {
                return Protection.NONE;
            }
            writable &= p.isWritable();
        }
        return writable ? Protection.READ_WRITE : Protection.READ;
    }

    void write(long start, byte[] bytes) {
        System.arraycopy(bytes, 0, contents, (int) start, bytes.length);
    }

    void invalidateAll() {
        epoch++;
    }

    /**
     * {@return the runs the kernel must report over {@code [0, usable)}, addresses as byte offsets
     * from the region's base, adjacent runs of one protection merged}
     */
    List<KernelView.Mapping> expectedRuns() {
        List<KernelView.Mapping> runs = new ArrayList<>();
        for (int g = 0; g < granules.length; g++) {
            long start = g * granuleBytes;
            Protection p = start < committedBytes && granules[g] != null ? granules[g] : Protection.NONE;
            KernelView.Mapping last = runs.isEmpty() ? null : runs.getLast();
            if (last != null && last.protection() == p) {
                runs.set(runs.size() - 1, new KernelView.Mapping(last.start(), start + granuleBytes, p));
            } else {
                runs.add(new KernelView.Mapping(start, start + granuleBytes, p));
            }
        }
        return runs;
    }
}
