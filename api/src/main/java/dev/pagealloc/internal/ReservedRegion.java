package dev.pagealloc.internal;

import dev.pagealloc.api.Advice;
import dev.pagealloc.api.AppliedOptions;
import dev.pagealloc.api.GuardCorruptedException;
import dev.pagealloc.api.GuardVerification;
import dev.pagealloc.api.KernelException;
import dev.pagealloc.api.MaximumPagesExceededException;
import dev.pagealloc.api.PageAllocatorException;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.Units;
import dev.pagealloc.api.UnsupportedOptionException;
import dev.pagealloc.internal.observe.DeallocateEvent;
import dev.pagealloc.internal.observe.DecommitEvent;
import dev.pagealloc.internal.observe.DiscardEvent;
import dev.pagealloc.internal.observe.GrowEvent;
import dev.pagealloc.internal.observe.LeakDetector;
import dev.pagealloc.internal.observe.ProtectEvent;
import dev.pagealloc.internal.observe.RecommitEvent;
import dev.pagealloc.internal.observe.RegionEvents;
import dev.pagealloc.spi.Backing;
import dev.pagealloc.spi.SystemCallException;
import dev.pagealloc.spi.VirtualMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The region state machine (reserved, committed, protected, decommitted, released), written once
 * for every platform. Its views and their arena are {@link RegionViews}; how pages are committed
 * (budget, populate, lock, best-effort downgrades) is {@link CommitProtocol}; a deallocated region
 * with shared views may wait in the allocator's {@link ViewArenas} before its reservation is released.
 * All mutations hold the region's monitor; the page count and committed size are also published
 * through volatiles so that readers need no lock.
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
    private final PageStates states = new PageStates();
    private final GuardVerification verification;
    private final MappingGuard.Account mappings;
    private final RegionViews views;
    private final CommitProtocol commits;
    private final LeakDetector.Watch leakWatch;

    private volatile long pages;
    private volatile long committedBytes;
    private volatile boolean alive = true;

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
        this.verification = allocator.config().guardVerification();
        this.mappings = allocator.mappings.account();
        this.views = new RegionViews(allocator.config().viewSharing(), allocator.viewArenas, base);
        this.commits = new CommitProtocol(allocator, backing, applied);
        this.leakWatch = LeakDetector.watch(this, allocator.config().leakDetection(), allocator.platform(), base,
                reservationBytes);
    }

    // ---- allocation-time helpers, called by the allocator before the region is published ----

    void commitInitial(Operation operation, long initialPages, long initialCommitBytes) {
        synchronized (this) {
            if (initialCommitBytes > 0) {
                commits.commitInitial(operation, base, initialCommitBytes);
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
            failure.addSuppressed(allocator.kernelFailure(Operation.of("allocate"),
                    "cannot release the failed reservation", e));
        }
        alive = false;
        leakWatch.release(this);
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
        return commits.applied();
    }

    @Override
    public boolean isAlive() {
        return alive;
    }

    @Override
    public synchronized Protection protectionAt(long byteOffset) {
        Operation operation = Operation.of("protectionAt", "byteOffset", byteOffset);
        checkAlive(operation);
        if (byteOffset < 0 || byteOffset >= committedBytes) {
            throw new IndexOutOfBoundsException(operation + ": outside [0, committedBytes=" + committedBytes + ")");
        }
        return states.stateAt(byteOffset).protection();
    }

    // ---- views ----

    @Override
    public MemorySegment segment() {
        MemorySegment view = views.cached();
        if (view != null) {
            return view;
        }
        synchronized (this) {
            view = segment(0, byteSize());
            views.cache(view);
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
        Arena arena = views.arena(operation);
        // SAFETY: [base + byteOffset, + byteLength) lies inside the committed prefix of a live
        // reservation and every page in it is readable; the view dies with its arena, which is closed
        // (or, confined to a thread that has ended, abandoned) before any page in it loses access or is
        // unmapped. A quarantined range keeps its pages' protections until then (ViewQuarantine).
        MemorySegment view = memory.view(base + byteOffset, byteLength, arena);
        boolean writable = inRange.stream().allMatch(s -> s.protection().isWritable());
        return writable ? view : view.asReadOnly();
    }

    // ---- state changes ----

    @Override
    public synchronized long grow(long additionalPages) {
        Operation operation = Operation.of("grow", "additionalPages", additionalPages);
        checkGrow(operation, additionalPages);
        return growChecked(operation, additionalPages);
    }

    @Override
    public synchronized long tryGrow(long additionalPages) {
        Operation operation = Operation.of("tryGrow", "additionalPages", additionalPages);
        checkGrow(operation, additionalPages);
        try {
            return growChecked(operation, additionalPages);
        } catch (PageAllocatorException refused) {
            return -1; // as WebAssembly's memory.grow; the refusal was counted in the statistics
        }
    }

    private void checkGrow(Operation operation, long additionalPages) {
        checkAlive(operation);
        if (additionalPages < 0) {
            throw new IllegalArgumentException(operation + ": additionalPages must not be negative");
        }
    }

    private long growChecked(Operation operation, long additionalPages) {
        GrowEvent event = RegionEvents.beginGrow();
        long before = pages;
        if (additionalPages == 0) {
            return before;
        }
        if (additionalPages > maximumPages - before) {
            allocator.statistics.failures.increment();
            throw new MaximumPagesExceededException(operation.toString(), before, additionalPages, maximumPages);
        }
        long newPages = before + additionalPages;
        // Cannot overflow: newPages <= maximumPages, whose rounded byte size was checked at allocate.
        long newCommitted = (newPages * pageBytes + granuleBytes - 1) & -granuleBytes;
        RegionArguments.refuseSharedTailGranule(operation, states, granuleBytes, before * pageBytes,
                Math.min(newPages * pageBytes, committedBytes));
        if (newCommitted > committedBytes) {
            mappings.check(operation, states.runCountAfterExtend(PageState.READ_WRITE));
            commits.commit(operation, base + committedBytes, newCommitted - committedBytes);
            states.extend(newCommitted, PageState.READ_WRITE);
            mappings.update(states.runCount());
            committedBytes = newCommitted;
        }
        pages = newPages;
        views.forgetCached();
        allocator.statistics.grows.increment();
        RegionEvents.grown(event, allocator.platform(), this, before);
        return before;
    }

    @Override
    public synchronized void protect(long byteOffset, long byteLength, Protection protection) {
        ProtectEvent event = RegionEvents.beginProtect();
        Operation operation = Operation.ofRange("protect", byteOffset, byteLength, protection);
        Arguments.requireNonNull(protection, operation, "protection");
        boolean anything = checkRangeOperation(operation, byteOffset, byteLength);
        // Refused before any view is closed: the platform is known not to have it.
        Set<Protection> offered = allocator.capabilities().protections();
        if (!offered.contains(protection)) {
            throw new UnsupportedOptionException(operation.toString(), "protection=" + protection, "platform "
                    + allocator.platform() + " offers " + offered.stream().sorted().toList());
        }
        memory.protectionUnsupported(protection, backing).ifPresent(reason -> {
            throw new UnsupportedOptionException(operation.toString(), "protection=" + protection, reason);
        });
        if (!anything) {
            return;
        }
        long end = byteOffset + byteLength;
        RegionArguments.refuseDecommitted(operation, states, byteOffset, end, "recommit it first");
        mappings.check(operation, states.runCountAfterSet(byteOffset, end, PageState.of(protection)));
        for (PageState state : states.statesIn(byteOffset, end)) {
            if (!state.protection().isWithin(protection)) {
                views.invalidate(operation);
                break;
            }
        }
        try {
            memory.protect(base + byteOffset, byteLength, protection);
        } catch (SystemCallException e) {
            KernelException failure = rangeFailure(operation, "change the protection of", byteOffset, byteLength, e);
            restoreProtections(byteOffset, end, failure);
            throw failure;
        }
        states.set(byteOffset, end, PageState.of(protection));
        mappings.update(states.runCount());
        views.forgetCached();
        allocator.statistics.protects.increment();
        RegionEvents.protectedRange(event, allocator.platform(), base, byteOffset, byteLength, protection);
    }

    @Override
    public synchronized void decommit(long byteOffset, long byteLength) {
        DecommitEvent event = RegionEvents.beginDecommit();
        Operation operation = Operation.ofRange("decommit", byteOffset, byteLength);
        if (!checkRangeOperation(operation, byteOffset, byteLength)) {
            return;
        }
        long end = byteOffset + byteLength;
        long newlyDecommitted = byteLength - states.bytesIn(byteOffset, end, PageState.DECOMMITTED);
        mappings.check(operation, states.runCountAfterSet(byteOffset, end, PageState.DECOMMITTED));
        views.invalidate(operation);
        try {
            memory.decommit(base + byteOffset, byteLength, backing);
        } catch (SystemCallException e) {
            KernelException failure = rangeFailure(operation, "decommit", byteOffset, byteLength, e);
            restoreProtections(byteOffset, end, failure);
            throw failure;
        }
        states.set(byteOffset, end, PageState.DECOMMITTED);
        mappings.update(states.runCount());
        commits.refund(newlyDecommitted);
        allocator.statistics.committed(-newlyDecommitted);
        allocator.statistics.decommits.increment();
        RegionEvents.ranged(event, allocator.platform(), base, byteOffset, byteLength);
    }

    @Override
    public synchronized void recommit(long byteOffset, long byteLength) {
        RecommitEvent event = RegionEvents.beginRecommit();
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
        commits.commit(operation, base + byteOffset, byteLength);
        states.set(byteOffset, end, PageState.READ_WRITE);
        mappings.update(states.runCount());
        views.forgetCached();
        RegionEvents.ranged(event, allocator.platform(), base, byteOffset, byteLength);
    }

    @Override
    public synchronized void discard(long byteOffset, long byteLength) {
        DiscardEvent event = RegionEvents.beginDiscard();
        Operation operation = Operation.ofRange("discard", byteOffset, byteLength);
        if (!checkRangeOperation(operation, byteOffset, byteLength)) {
            return;
        }
        RegionArguments.refuseDecommitted(operation, states, byteOffset, byteOffset + byteLength,
                "it holds nothing to discard");
        try {
            memory.discard(base + byteOffset, byteLength, backing);
        } catch (SystemCallException e) {
            throw rangeFailure(operation, "discard", byteOffset, byteLength, e);
        }
        allocator.statistics.discards.increment();
        RegionEvents.ranged(event, allocator.platform(), base, byteOffset, byteLength);
    }

    @Override
    public synchronized void advise(long byteOffset, long byteLength, Advice advice) {
        // The advice is named in each message below: Operation has no slot for it.
        Operation operation = Operation.ofRange("advise", byteOffset, byteLength);
        if (advice == null) {
            throw new NullPointerException(operation + ": advice must not be null");
        }
        if (!checkRangeOperation(operation, byteOffset, byteLength)) {
            return;
        }
        if (advice == Advice.PURGEABLE && commits.applied().locked()) {
            // Locked pages must stay; Linux also refuses MADV_FREE on VM_LOCKED mappings (mm/madvise.c).
            throw new UnsupportedOperationException(operation + ": this region's pages are locked"
                    + " (lock=true or a LOCKED partition), and locked pages cannot be PURGEABLE");
        }
        RegionAdvice.advise(memory, operation, base + byteOffset, byteLength, advice,
                e -> rangeFailure(operation, "advise " + advice + " for", byteOffset, byteLength, e));
    }

    @Override
    public synchronized void deallocate() {
        if (!alive) {
            return;
        }
        DeallocateEvent event = RegionEvents.beginDeallocate();
        Operation operation = Operation.of("deallocate");
        // A corrupted guard must not make the region impossible to free: check first, release
        // anyway, then report what was found.
        OptionalLong corrupted = verification == GuardVerification.ON_DEMAND
                ? OptionalLong.empty()
                : memory.verifyGuards(reservation, reservationBytes);
        long stillCommitted;
        if (views.quarantinable() && dropContents()) {
            // The reservation stays mapped, its views open, until its batch closes (ViewQuarantine).
            stillCommitted = died();
            views.quarantine(new QuarantinedReservation(memory, reservation, reservationBytes, mappings,
                    allocator.statistics));
        } else {
            views.invalidate(operation);
            LiveReservations.remove(reservation);
            try {
                memory.release(reservation, reservationBytes);
            } catch (SystemCallException e) {
                LiveReservations.add(reservation, reservationBytes);
                allocator.statistics.failures.increment();
                throw allocator.kernelFailure(operation, "cannot release " + reservationBytes + " bytes at "
                        + Units.hex(reservation), e);
            }
            stillCommitted = died();
            mappings.close();
            allocator.statistics.reserved(-reservationBytes, 0);
        }
        RegionEvents.deallocated(event, allocator.platform(), base, reservationBytes, stillCommitted);
        if (corrupted.isPresent()) {
            throw new GuardCorruptedException(operation.toString(), base, corrupted.getAsLong());
        }
    }

    /**
     * The accounting of a deallocation, whether the reservation is released now or quarantined.
     *
     * {@return the bytes that were still committed}
     */
    private long died() {
        alive = false;
        leakWatch.release(this);
        long stillCommitted = committedBytes - states.bytesIn(0, committedBytes, PageState.DECOMMITTED);
        commits.refund(stillCommitted);
        allocator.statistics.committed(-stillCommitted);
        allocator.statistics.reserved(0, -1);
        allocator.statistics.deallocations.increment();
        return stillCommitted;
    }

    /**
     * Gives the memory of a region about to be quarantined back to the system, keeping every page's
     * protection so that a stale view neither faults nor reads what the region held: readable runs are
     * discarded (they read zero next), inaccessible ones, which no view covers, decommitted.
     *
     * {@return whether every run was dropped}; if not, the caller releases the reservation at once
     */
    private boolean dropContents() {
        try {
            for (PageStates.Run run : states.runsIn(0, committedBytes)) {
                long byteLength = run.end() - run.start();
                if (run.state().protection().isReadable()) {
                    memory.discard(base + run.start(), byteLength, backing);
                } else if (run.state() != PageState.DECOMMITTED) {
                    memory.decommit(base + run.start(), byteLength, backing);
                }
            }
            return true;
        } catch (SystemCallException e) {
            return false; // the views are then closed and the whole reservation released, as without a quarantine
        }
    }

    @Override
    public void close() {
        deallocate();
    }

    // ---- checks ----

    private void checkAlive(Operation operation) {
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
        verifyGuards(Operation.of("verifyGuards"));
    }

    private void verifyGuards(Operation operation) {
        OptionalLong corrupted = memory.verifyGuards(reservation, reservationBytes);
        if (corrupted.isPresent()) {
            throw new GuardCorruptedException(operation.toString(), base, corrupted.getAsLong());
        }
    }

    /** Checks a protect/decommit/recommit/discard call; {@return whether there is anything to do} */
    private boolean checkRangeOperation(Operation operation, long byteOffset, long byteLength) {
        checkAlive(operation);
        RegionArguments.checkRange(operation, byteOffset, byteLength, granuleBytes, committedBytes);
        return byteLength != 0;
    }

    /**
     * After a refused protect or decommit, gives each run of {@code [start, end)} back the protection
     * the region records for it. A refusal may come after part of the range changed: Linux
     * {@code mprotect} changes one mapping (VMA) after another and stops at the first that fails,
     * for instance on splitting one past {@code vm.max_map_count}, leaving the earlier ones changed
     * ({@code do_mprotect_pkey} in {@code mm/mprotect.c}; {@code mprotect(2)}, ENOMEM). Where a run
     * cannot be restored either, the region records it as {@link Protection#NONE} (no view is made
     * of it; its contents are kept; {@code protect} makes it accessible again) and the failure
     * carries that refusal as a suppressed exception.
     */
    private void restoreProtections(long start, long end, KernelException failure) {
        for (PageStates.Run run : states.runsIn(start, end)) {
            if (run.state() == PageState.DECOMMITTED) {
                continue; // already inaccessible, and nothing a failed call did can make it accessible
            }
            try {
                memory.protect(base + run.start(), run.end() - run.start(), run.state().protection());
            } catch (SystemCallException e) {
                failure.addSuppressed(allocator.kernelFailure(
                        Operation.step("restore"), "cannot restore " + run.state().protection()
                        + " on " + (run.end() - run.start()) + " bytes at " + Units.hex(base + run.start())
                        + "; recorded as NONE", e));
                states.set(run.start(), run.end(), PageState.NONE);
            }
        }
        mappings.update(states.runCount());
    }

    private KernelException rangeFailure(Operation operation, String verb, long byteOffset,
            long byteLength, SystemCallException e) {
        allocator.statistics.failures.increment();
        return allocator.kernelFailure(operation, "cannot " + verb + " " + byteLength + " bytes at "
                + Units.hex(base + byteOffset), e);
    }

    @Override
    public String toString() {
        return "Region[address=" + Units.hex(base) + ", pages=" + pages + ", maximumPages=" + maximumPages
                + ", pageBytes=" + pageBytes + (alive ? "" : ", deallocated") + "]";
    }
}
