package dev.pagealloc.internal;

import dev.pagealloc.api.KernelException;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Units;
import dev.pagealloc.api.UnsupportedOptionException;
import dev.pagealloc.internal.observe.Log;
import dev.pagealloc.spi.Backing;
import dev.pagealloc.spi.SystemCallException;
import dev.pagealloc.spi.VirtualMemory;
import java.util.List;

/**
 * The pages that hold a {@link dev.pagealloc.api.MemoryPartition}'s guaranteed minimum resident while its
 * regions do not: one reservation of the minimum (rounded up to the platform page), whose committed
 * prefix is as long as the minimum less the partition's use. Committed pages are prefaulted (so they are
 * resident, not merely promised) and, for a locked partition, locked. It shrinks from the end by
 * decommitting (the pages go back to the system) and grows back by committing, prefaulting and locking.
 *
 * <p>Thread-safe: every resize holds this object's monitor.
 */
public final class PartitionReserve {
    private final VirtualMemory memory;
    private final long address;
    private final long capacityBytes;
    private final long pageBytes;
    private final boolean lock;
    private long committedBytes;
    private volatile long residentBytes;
    private boolean released;
    /** Whether the last failed grow failed at the lock (so best effort may go on without it). */
    private boolean lockRefused;

    private PartitionReserve(VirtualMemory memory, long address, long capacityBytes, boolean lock) {
        this.memory = memory;
        this.address = address;
        this.capacityBytes = capacityBytes;
        this.pageBytes = memory.pageBytes();
        this.lock = lock;
    }

    /**
     * Reserves, commits, prefaults and, if asked, locks {@code guaranteedBytes}, or leaves nothing behind.
     *
     * @param allocator the allocator whose platform the reserve comes from
     * @param operation the operation building the partition, for messages
     * @param guaranteedBytes the minimum, in bytes; positive
     * @param lock whether to lock the pages
     * @param bestEffort whether a lock the platform or the kernel refuses is dropped (into {@code downgrades})
     * @param downgrades where a dropped lock is reported
     * @return the reserve
     * @throws IllegalArgumentException if {@code allocator} is not one of this library's
     * @throws UnsupportedOptionException if the platform cannot lock pages, and best effort is off
     * @throws KernelException if the kernel refuses to reserve, commit, prefault or (best effort off) lock
     */
    public static PartitionReserve open(PageAllocator allocator, String operation, long guaranteedBytes, boolean lock,
            boolean bestEffort, List<String> downgrades) {
        if (!(allocator instanceof ReservingPageAllocator reserving)) {
            throw new IllegalArgumentException(operation + ": reserveFrom(" + allocator.getClass().getName()
                    + "): not an allocator built by PageAllocator.builder()");
        }
        VirtualMemory memory = reserving.memory();
        boolean locking = lock;
        if (lock && !memory.capabilities().pageLocking()) {
            String reason = "platform " + reserving.platform() + " cannot lock pages in memory";
            if (!bestEffort) {
                throw new UnsupportedOptionException(operation, "lock=true", reason);
            }
            downgrades.add("lock=true -> false: " + reason);
            locking = false;
        }
        long page = memory.pageBytes();
        long capacity = PageMath.roundUp(operation, guaranteedBytes, memory.allocationGranularityBytes());
        long at;
        try {
            at = memory.reserve(capacity, memory.allocationGranularityBytes(), Backing.DEFAULT);
        } catch (SystemCallException e) {
            throw failure(operation, "cannot reserve the guaranteed minimum of " + capacity + " bytes", e);
        }
        long size = PageMath.roundUp(operation, guaranteedBytes, page);
        PartitionReserve reserve = new PartitionReserve(memory, at, capacity, locking);
        try {
            reserve.grow(size);
        } catch (SystemCallException e) {
            if (!(reserve.lockRefused && bestEffort)) {
                reserve.releaseQuietly(e);
                throw failure(operation, "cannot hold the guaranteed minimum of " + size + " bytes at "
                        + Units.hex(at), e);
            }
            downgrades.add("lock=true -> false: " + e.error());
            reserve = new PartitionReserve(memory, at, capacity, false);
            try {
                reserve.grow(size);
            } catch (SystemCallException again) {
                reserve.releaseQuietly(again);
                throw failure(operation, "cannot hold the guaranteed minimum of " + size + " bytes at "
                        + Units.hex(at), again);
            }
        } catch (RuntimeException e) {
            reserve.releaseQuietly(e);
            throw e;
        }
        return reserve;
    }

    private static KernelException failure(String operation, String what, SystemCallException e) {
        return new KernelException(operation, what, e.error());
    }

    /** {@return the bytes committed and held resident now} */
    public long residentBytes() {
        return residentBytes;
    }

    /**
     * Shrinks or grows the committed prefix to {@code targetBytes}, rounded up to the page. A refusal is
     * logged and leaves the prefix as it was (too large is harmless; too small shows in
     * {@link #residentBytes()}).
     *
     * @param targetBytes the bytes to hold, in bytes; within [0, the minimum]
     */
    public synchronized void resizeTo(long targetBytes) {
        if (released) {
            return;
        }
        long target = Math.min(capacityBytes, (targetBytes + pageBytes - 1) / pageBytes * pageBytes);
        try {
            if (target < committedBytes) {
                memory.decommit(address + target, committedBytes - target, Backing.DEFAULT);
                committedBytes = target;
                residentBytes = target;
            } else if (target > committedBytes) {
                grow(target);
            }
        } catch (SystemCallException | RuntimeException e) {
            Log.reserveResizeFailed(Units.hex(address), committedBytes, target, e);
        }
    }

    private void grow(long target) throws SystemCallException {
        long from = committedBytes;
        long length = target - from;
        memory.commit(address + from, length, Backing.DEFAULT);
        try {
            try {
                memory.populate(address + from, length);
            } catch (UnsupportedOperationException cannotPrefault) {
                // The embedded buffer: the caller's memory, there whether touched or not.
            }
            if (lock) {
                lockRefused = true;
                memory.lock(address + from, length);
                lockRefused = false;
            }
        } catch (SystemCallException | RuntimeException e) {
            try {
                memory.decommit(address + from, length, Backing.DEFAULT);
            } catch (SystemCallException undo) {
                e.addSuppressed(undo);
            }
            throw e;
        }
        committedBytes = target;
        residentBytes = target;
    }

    /** Releases the whole reservation; idempotent. A refusal is logged: the pages stay mapped, unused. */
    public synchronized void release() {
        if (released) {
            return;
        }
        released = true;
        residentBytes = 0;
        try {
            memory.release(address, capacityBytes);
        } catch (SystemCallException e) {
            Log.reserveResizeFailed(Units.hex(address), committedBytes, 0, e);
        }
    }

    private void releaseQuietly(Exception failure) {
        try {
            memory.release(address, capacityBytes);
        } catch (SystemCallException e) {
            failure.addSuppressed(e);
        }
        released = true;
    }
}
