package dev.pagealloc.internal;

import dev.pagealloc.api.AppliedOptions;
import dev.pagealloc.api.BudgetExceededException;
import dev.pagealloc.api.GuardCorruptedException;
import dev.pagealloc.api.GuardVerification;
import dev.pagealloc.api.MaximumPagesExceededException;
import dev.pagealloc.api.MemoryBudget;
import dev.pagealloc.api.PageAllocatorException;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.Units;
import dev.pagealloc.api.ViewSharing;
import dev.pagealloc.spi.Backing;
import dev.pagealloc.spi.SystemCallException;
import dev.pagealloc.spi.VirtualMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The region state machine (reserved, committed, protected, decommitted, released), written once
 * for every platform. All mutations hold the region's monitor; the page count and committed size
 * are also published through volatiles so that readers need no lock.
 */
final class ReservedRegion implements Region {
    private final ReservingPageAllocator allocator;
    private final VirtualMemory memory;
    private final long reservation;
    private final long reservationBytes;
    private final long base;
    private final long granuleBytes;
    private final long pageBytes;
    private final long maximumPages;
    private final Backing backing;
    private final ViewSharing sharing;
    private final Optional<MemoryBudget> budget;
    private final PageStates states = new PageStates();
    private final GuardVerification verification;
    private final MappingGuard.Account mappings;

    private volatile AppliedOptions applied;
    private volatile long pages;
    private volatile long committedBytes;
    private volatile boolean alive = true;
    /** The arena every current view belongs to; closed to invalidate them all at once. */
    private Arena views;
    private volatile MemorySegment fullView;

    ReservedRegion(ReservingPageAllocator allocator, long reservation, long reservationBytes, long base,
            long granuleBytes, long maximumPages, Backing backing, AppliedOptions applied) {
        this.allocator = allocator;
        this.memory = allocator.memory();
        this.reservation = reservation;
        this.reservationBytes = reservationBytes;
        this.base = base;
        this.granuleBytes = granuleBytes;
        this.pageBytes = allocator.pageBytes();
        this.maximumPages = maximumPages;
        this.backing = backing;
        this.sharing = allocator.config().viewSharing();
        this.budget = allocator.config().budget();
        this.applied = applied;
        this.verification = allocator.config().guardVerification();
        this.mappings = allocator.mappings.account();
    }

    // ---- allocation-time helpers, called by the allocator before the region is published ----

    void commitInitial(Object operation, long initialPages, long initialCommitBytes) {
        synchronized (this) {
            if (initialCommitBytes > 0) {
                commit(operation, 0, initialCommitBytes);
                states.extend(initialCommitBytes, PageState.READ_WRITE);
            }
            mappings.update(states.runCount());
            committedBytes = initialCommitBytes;
            pages = initialPages;
        }
    }

    void releaseAfterFailedAllocation(RuntimeException failure) {
        LiveReservations.remove(reservation);
        try {
            memory.release(reservation, reservationBytes);
        } catch (SystemCallException e) {
            failure.addSuppressed(allocator.kernelFailure("allocate()", "cannot release the failed reservation", e));
        }
        alive = false;
        mappings.close();
        allocator.statistics.reserved(-reservationBytes, -1);
    }

    // ---- queries ----

    @Override
    public long address() {
        return base;
    }

    @Override
    public long pageBytes() {
        return pageBytes;
    }

    @Override
    public long protectionGranuleBytes() {
        return granuleBytes;
    }

    @Override
    public long pages() {
        return pages;
    }

    @Override
    public long maximumPages() {
        return maximumPages;
    }

    @Override
    public long byteSize() {
        return pages * pageBytes;
    }

    @Override
    public long committedBytes() {
        return committedBytes;
    }

    @Override
    public long reservedBytes() {
        return reservationBytes;
    }

    @Override
    public long guardBeforeBytes() {
        return base - reservation;
    }

    @Override
    public long guardAfterBytes() {
        return reservation + reservationBytes - (base + maximumPages * pageBytes);
    }

    @Override
    public AppliedOptions appliedOptions() {
        return applied;
    }

    @Override
    public boolean isAlive() {
        return alive;
    }

    @Override
    public synchronized Protection protectionAt(long byteOffset) {
        checkAlive("protectionAt(byteOffset=" + byteOffset + ")");
        if (byteOffset < 0 || byteOffset >= committedBytes) {
            throw new IndexOutOfBoundsException("protectionAt(byteOffset=" + byteOffset + "): outside [0, committedBytes="
                    + committedBytes + ")");
        }
        return states.stateAt(byteOffset).protection();
    }

    // ---- views ----

    @Override
    public MemorySegment segment() {
        MemorySegment view = fullView;
        if (view != null) {
            return view;
        }
        synchronized (this) {
            view = segment(0, byteSize());
            fullView = view;
            return view;
        }
    }

    @Override
    public synchronized MemorySegment segment(long byteOffset, long byteLength) {
        Operation operation = Operation.ofRange("segment", byteOffset, byteLength);
        checkAlive(operation);
        long size = byteSize();
        if (byteOffset < 0 || byteLength < 0 || byteOffset > size || byteLength > size - byteOffset) {
            throw new IndexOutOfBoundsException(operation + ": outside [0, byteSize=" + size + ")");
        }
        Set<PageState> inRange = states.statesIn(byteOffset, byteOffset + byteLength);
        for (PageState state : inRange) {
            if (!state.protection().isReadable()) {
                long first = states.firstIn(byteOffset, byteOffset + byteLength, state);
                throw new IllegalStateException(operation + ": the page at byteOffset=" + first + " is "
                        + (state == PageState.DECOMMITTED ? "decommitted" : "protected NONE")
                        + "; a view of it would fault");
            }
        }
        if (views == null) {
            views = sharing == ViewSharing.SHARED ? Arena.ofShared() : Arena.ofConfined();
        }
        // SAFETY: [base + byteOffset, + byteLength) lies inside the committed prefix of a live
        // reservation and every page in it is readable; the view dies with `views`, which is closed
        // before any page in it loses access or is unmapped.
        MemorySegment view = memory.view(base + byteOffset, byteLength, views);
        boolean writable = inRange.stream().allMatch(s -> s.protection().isWritable());
        return writable ? view : view.asReadOnly();
    }

    /** Closes the arena of every view handed out; called before any page loses access. */
    private void invalidateViews(Object operation) {
        fullView = null;
        if (views == null) {
            return;
        }
        try {
            views.close();
        } catch (WrongThreadException e) {
            throw new WrongThreadException(operation + ": views of the region at " + Units.hex(base)
                    + " are confined to the thread that made them; call from that thread, or build the allocator"
                    + " withViewSharing(ViewSharing.SHARED)", e);
        } catch (IllegalStateException e) {
            throw new IllegalStateException(operation + ": a view of the region at " + Units.hex(base)
                    + " is in use by a native call: " + e.getMessage(), e);
        }
        views = null;
    }

    // ---- state changes ----

    @Override
    public long grow(long additionalPages) {
        return grow(additionalPages, false);
    }

    @Override
    public long tryGrow(long additionalPages) {
        return grow(additionalPages, true);
    }

    private synchronized long grow(long additionalPages, boolean reportAsMinusOne) {
        Operation operation = Operation.of(reportAsMinusOne ? "tryGrow" : "grow", "additionalPages", additionalPages);
        checkAlive(operation);
        if (additionalPages < 0) {
            throw new IllegalArgumentException(operation + ": additionalPages must not be negative");
        }
        long before = pages;
        if (additionalPages == 0) {
            return before;
        }
        if (additionalPages > maximumPages - before) {
            allocator.statistics.failures.increment();
            if (reportAsMinusOne) {
                return -1;
            }
            throw new MaximumPagesExceededException(operation.toString(), before, additionalPages, maximumPages);
        }
        long newPages = before + additionalPages;
        // Cannot overflow: newPages <= maximumPages, whose rounded byte size was checked at allocate.
        long newCommitted = (newPages * pageBytes + granuleBytes - 1) & -granuleBytes;
        if (newCommitted > committedBytes) {
            try {
                mappings.check(operation, states.runCountAfterExtend(PageState.READ_WRITE));
                commit(operation, committedBytes, newCommitted - committedBytes);
            } catch (PageAllocatorException e) {
                if (reportAsMinusOne) {
                    return -1;
                }
                throw e;
            }
            states.extend(newCommitted, PageState.READ_WRITE);
            mappings.update(states.runCount());
            committedBytes = newCommitted;
        }
        pages = newPages;
        fullView = null;
        allocator.statistics.grows.increment();
        return before;
    }

    /** Charges, commits, then populates and locks {@code [byteOffset, +byteLength)}; all or nothing. */
    private void commit(Object operation, long byteOffset, long byteLength) {
        try {
            budget.ifPresent(b -> b.charge(operation.toString(), byteLength));
        } catch (BudgetExceededException e) {
            allocator.statistics.failures.increment(); // AllocatorStatistics.failures counts budget refusals too
            throw e;
        }
        long address = base + byteOffset;
        try {
            memory.commit(address, byteLength, backing);
        } catch (SystemCallException e) {
            budget.ifPresent(b -> b.refund(byteLength));
            allocator.statistics.failures.increment();
            String what = backing.explicitHugePageBytes() == 0 ? "" : " of " + backing.hugePages() + " huge pages";
            throw allocator.kernelFailure(operation, "cannot commit " + byteLength + " bytes" + what + " at "
                    + Units.hex(address), e);
        } catch (RuntimeException | Error e) {
            // Whatever a backend throws, VirtualMemory.commit committed nothing: the charge goes back.
            budget.ifPresent(b -> b.refund(byteLength));
            allocator.statistics.failures.increment();
            throw e;
        }
        try {
            if (applied.populated()) {
                memory.populate(address, byteLength);
            }
            if (applied.locked()) {
                memory.lock(address, byteLength);
            }
        } catch (SystemCallException | UnsupportedOperationException e) {
            undoCommit(address, byteLength);
            if (e instanceof UnsupportedOperationException unsupported && allocator.config().bestEffort()) {
                dropPopulateAndLock(unsupported.getMessage());
                commit(operation, byteOffset, byteLength);
                return;
            }
            allocator.statistics.failures.increment();
            if (e instanceof SystemCallException s) {
                throw allocator.kernelFailure(operation, "cannot " + (applied.locked() ? "populate and lock " : "populate ")
                        + byteLength + " bytes at " + Units.hex(address), s);
            }
            throw new dev.pagealloc.api.UnsupportedOptionException(operation.toString(), "populate/lock", e.getMessage());
        } catch (RuntimeException | Error e) {
            undoCommit(address, byteLength);
            allocator.statistics.failures.increment();
            throw e;
        }
        allocator.statistics.committed(byteLength);
    }

    private void undoCommit(long address, long byteLength) {
        budget.ifPresent(b -> b.refund(byteLength));
        try {
            memory.decommit(address, byteLength, backing);
        } catch (SystemCallException ignored) {
            // The pages stay committed but unreachable from Java: the range is not in `states`, so
            // no view covers it, and release() unmaps it with the rest of the reservation.
        }
    }

    private void dropPopulateAndLock(String reason) {
        AppliedOptions a = applied;
        List<String> downgrades = new ArrayList<>(a.downgrades());
        downgrades.add("populate=" + a.populated() + ", lock=" + a.locked() + " -> false: " + reason);
        applied = new AppliedOptions(a.hugePages(), a.numaPolicy(), false, false, a.memoryTagging(), downgrades);
    }

    @Override
    public synchronized void protect(long byteOffset, long byteLength, Protection protection) {
        Operation operation = Operation.ofRange("protect", byteOffset, byteLength, protection);
        Arguments.requireNonNull(protection, operation, "protection");
        if (!checkRangeOperation(operation, byteOffset, byteLength)) {
            return;
        }
        long end = byteOffset + byteLength;
        refuseDecommitted(operation, byteOffset, end, "recommit it first");
        mappings.check(operation, states.runCountAfterSet(byteOffset, end, PageState.of(protection)));
        for (PageState state : states.statesIn(byteOffset, end)) {
            if (!state.protection().isWithin(protection)) {
                invalidateViews(operation);
                break;
            }
        }
        try {
            memory.protect(base + byteOffset, byteLength, protection);
        } catch (SystemCallException e) {
            throw rangeFailure(operation, "change the protection of", byteOffset, byteLength, e);
        }
        states.set(byteOffset, end, PageState.of(protection));
        mappings.update(states.runCount());
        fullView = null;
        allocator.statistics.protects.increment();
    }

    @Override
    public synchronized void decommit(long byteOffset, long byteLength) {
        Operation operation = Operation.ofRange("decommit", byteOffset, byteLength);
        if (!checkRangeOperation(operation, byteOffset, byteLength)) {
            return;
        }
        long end = byteOffset + byteLength;
        long newlyDecommitted = byteLength - states.bytesIn(byteOffset, end, PageState.DECOMMITTED);
        mappings.check(operation, states.runCountAfterSet(byteOffset, end, PageState.DECOMMITTED));
        invalidateViews(operation);
        try {
            memory.decommit(base + byteOffset, byteLength, backing);
        } catch (SystemCallException e) {
            throw rangeFailure(operation, "decommit", byteOffset, byteLength, e);
        }
        states.set(byteOffset, end, PageState.DECOMMITTED);
        mappings.update(states.runCount());
        budget.ifPresent(b -> b.refund(newlyDecommitted));
        allocator.statistics.committed(-newlyDecommitted);
        allocator.statistics.decommits.increment();
    }

    @Override
    public synchronized void recommit(long byteOffset, long byteLength) {
        Operation operation = Operation.ofRange("recommit", byteOffset, byteLength);
        if (!checkRangeOperation(operation, byteOffset, byteLength)) {
            return;
        }
        long end = byteOffset + byteLength;
        if (!states.statesIn(byteOffset, end).equals(Set.of(PageState.DECOMMITTED))) {
            throw new IllegalArgumentException(operation + ": the range holds pages that are not decommitted (states "
                    + states.statesIn(byteOffset, end) + ")");
        }
        mappings.check(operation, states.runCountAfterSet(byteOffset, end, PageState.READ_WRITE));
        commit(operation, byteOffset, byteLength);
        states.set(byteOffset, end, PageState.READ_WRITE);
        mappings.update(states.runCount());
        fullView = null;
    }

    @Override
    public synchronized void discard(long byteOffset, long byteLength) {
        Operation operation = Operation.ofRange("discard", byteOffset, byteLength);
        if (!checkRangeOperation(operation, byteOffset, byteLength)) {
            return;
        }
        refuseDecommitted(operation, byteOffset, byteOffset + byteLength, "it holds nothing to discard");
        try {
            memory.discard(base + byteOffset, byteLength, backing);
        } catch (SystemCallException e) {
            throw rangeFailure(operation, "discard", byteOffset, byteLength, e);
        }
        allocator.statistics.discards.increment();
    }

    @Override
    public synchronized void deallocate() {
        if (!alive) {
            return;
        }
        // A corrupted guard must not make the region impossible to free: check first, release
        // anyway, then report what was found.
        OptionalLong corrupted = verification == GuardVerification.ON_DEMAND
                ? OptionalLong.empty()
                : memory.verifyGuards(reservation, reservationBytes);
        invalidateViews("deallocate()");
        LiveReservations.remove(reservation);
        try {
            memory.release(reservation, reservationBytes);
        } catch (SystemCallException e) {
            LiveReservations.add(reservation, reservationBytes);
            allocator.statistics.failures.increment();
            throw allocator.kernelFailure("deallocate()", "cannot release " + reservationBytes + " bytes at "
                    + Units.hex(reservation), e);
        }
        alive = false;
        mappings.close();
        long stillCommitted = committedBytes - states.bytesIn(0, committedBytes, PageState.DECOMMITTED);
        budget.ifPresent(b -> b.refund(stillCommitted));
        allocator.statistics.committed(-stillCommitted);
        allocator.statistics.reserved(-reservationBytes, -1);
        allocator.statistics.deallocations.increment();
        if (corrupted.isPresent()) {
            throw new GuardCorruptedException("deallocate()", base, corrupted.getAsLong());
        }
    }

    @Override
    public void close() {
        deallocate();
    }

    // ---- checks ----

    private void checkAlive(Object operation) {
        if (!alive) {
            throw new IllegalStateException(operation + ": the region at " + Units.hex(base) + " was deallocated");
        }
        if (verification == GuardVerification.EVERY_OPERATION) {
            verifyGuards(operation);
        }
    }

    @Override
    public synchronized void verifyGuards() {
        if (!alive) {
            throw new IllegalStateException("verifyGuards(): the region at " + Units.hex(base) + " was deallocated");
        }
        verifyGuards("verifyGuards()");
    }

    private void verifyGuards(Object operation) {
        OptionalLong corrupted = memory.verifyGuards(reservation, reservationBytes);
        if (corrupted.isPresent()) {
            throw new GuardCorruptedException(operation.toString(), base, corrupted.getAsLong());
        }
    }

    /** Checks a protect/decommit/recommit/discard call; {@return whether there is anything to do} */
    private boolean checkRangeOperation(Object operation, long byteOffset, long byteLength) {
        checkAlive(operation);
        checkRange(operation, byteOffset, byteLength);
        return byteLength != 0;
    }

    private void refuseDecommitted(Object operation, long start, long end, String advice) {
        long decommitted = states.firstIn(start, end, PageState.DECOMMITTED);
        if (decommitted >= 0) {
            throw new IllegalStateException(operation + ": the page at byteOffset=" + decommitted
                    + " is decommitted; " + advice);
        }
    }

    private dev.pagealloc.api.KernelException rangeFailure(Object operation, String verb, long byteOffset,
            long byteLength, SystemCallException e) {
        allocator.statistics.failures.increment();
        return allocator.kernelFailure(operation, "cannot " + verb + " " + byteLength + " bytes at "
                + Units.hex(base + byteOffset), e);
    }

    private void checkRange(Object operation, long byteOffset, long byteLength) {
        if (byteLength < 0) {
            throw new IllegalArgumentException(operation + ": byteLength must not be negative");
        }
        if (!PageMath.isAligned(byteOffset, granuleBytes) || !PageMath.isAligned(byteLength, granuleBytes)) {
            throw new IllegalArgumentException(operation + ": byteOffset and byteLength must be multiples of the "
                    + "protection granule " + granuleBytes + " bytes");
        }
        long committed = committedBytes;
        if (byteOffset < 0 || byteOffset > committed || byteLength > committed - byteOffset) {
            throw new IndexOutOfBoundsException(operation + ": outside the committed range [0, committedBytes="
                    + committed + ")");
        }
    }

    @Override
    public String toString() {
        return "Region[address=" + Units.hex(base) + ", pages=" + pages + ", maximumPages=" + maximumPages
                + ", pageBytes=" + pageBytes + (alive ? "" : ", deallocated") + "]";
    }
}
