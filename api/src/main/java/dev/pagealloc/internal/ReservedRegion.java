package dev.pagealloc.internal;

import dev.pagealloc.api.AppliedOptions;
import dev.pagealloc.api.BudgetExceededException;
import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.GuardCorruptedException;
import dev.pagealloc.api.GuardVerification;
import dev.pagealloc.api.KernelException;
import dev.pagealloc.api.MaximumPagesExceededException;
import dev.pagealloc.api.MemoryBudget;
import dev.pagealloc.api.PageAllocatorException;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.Units;
import dev.pagealloc.api.UnsupportedOptionException;
import dev.pagealloc.api.ViewSharing;
import dev.pagealloc.internal.observe.DeallocateEvent;
import dev.pagealloc.internal.observe.DecommitEvent;
import dev.pagealloc.internal.observe.DiscardEvent;
import dev.pagealloc.internal.observe.GrowEvent;
import dev.pagealloc.internal.observe.LeakDetector;
import dev.pagealloc.internal.observe.Log;
import dev.pagealloc.internal.observe.ProtectEvent;
import dev.pagealloc.internal.observe.RecommitEvent;
import dev.pagealloc.internal.observe.RegionEvents;
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
    private final Capabilities capabilities;
    private final LeakDetector.Watch leakWatch;

    private volatile AppliedOptions applied;
    private volatile long pages;
    private volatile long committedBytes;
    private volatile boolean alive = true;
    /** The arena every current view belongs to; closed to invalidate them all at once. */
    private Arena views;
    /** The thread that made {@link #views} when they are confined; null when shared or none. */
    private Thread viewOwner;
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
        this.capabilities = allocator.capabilities();
        this.leakWatch = LeakDetector.watch(this, allocator.config().leakDetection(), allocator.platform(), base,
                reservationBytes);
    }

    // ---- allocation-time helpers, called by the allocator before the region is published ----

    void commitInitial(Object operation, long initialPages, long initialCommitBytes) {
        synchronized (this) {
            if (initialCommitBytes > 0) {
                commit(operation, 0, initialCommitBytes, true);
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
        // A confined view is handed only to its owner; other threads take the checked path below.
        if (view != null && view.isAccessibleBy(Thread.currentThread())) {
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
        Arena arena = viewArena(operation);
        // SAFETY: [base + byteOffset, + byteLength) lies inside the committed prefix of a live
        // reservation and every page in it is readable; the view dies with `views`, which is closed
        // (or, confined to a thread that has ended, abandoned) before any page in it loses access or is unmapped.
        MemorySegment view = memory.view(base + byteOffset, byteLength, arena);
        boolean writable = inRange.stream().allMatch(s -> s.protection().isWritable());
        return writable ? view : view.asReadOnly();
    }

    /**
     * {@return the arena new views belong to}: with {@link ViewSharing#CONFINED}, the views belong to
     * the thread that made the first live one; another thread gets a new arena only once those
     * views are invalidated or their thread has ended.
     *
     * @throws WrongThreadException if another thread that is still alive owns the live views
     */
    private Arena viewArena(Object operation) {
        if (views != null && !ownerIsGoneOrCurrent()) {
            throw confinedElsewhere(operation, "use views on that thread, wait until they are invalidated or that"
                    + " thread ends");
        }
        if (views == null) {
            if (sharing == ViewSharing.SHARED) {
                views = Arena.ofShared();
            } else {
                views = Arena.ofConfined();
                viewOwner = Thread.currentThread();
            }
        }
        return views;
    }

    /**
     * {@return whether the views may be invalidated or replaced by this thread}: they are shared,
     * confined to this thread, or confined to a thread that has ended. In the last case the views
     * are dropped without closing their arena (closing it from here would throw
     * {@link WrongThreadException}). That is safe: a confined segment checks, before every access,
     * that the accessing thread is its owner ({@code MemorySessionImpl.checkValidStateRaw} in
     * {@code jdk.internal.foreign}, openjdk/jdk; the {@code Arena} Javadoc, "Confined arenas"), and
     * a thread that has ended ({@link Thread#isAlive()} false, for platform and virtual threads
     * alike) never runs again, so no thread can ever touch those segments.
     */
    private boolean ownerIsGoneOrCurrent() {
        Thread owner = viewOwner;
        if (owner == null || owner == Thread.currentThread()) {
            return true;
        }
        if (owner.isAlive()) {
            return false;
        }
        views = null;
        viewOwner = null;
        return true;
    }

    private WrongThreadException confinedElsewhere(Object operation, String advice) {
        Thread owner = viewOwner;
        return new WrongThreadException(operation + ": views of the region at " + Units.hex(base)
                + " are confined to thread \"" + owner.getName() + "\" (#" + owner.threadId() + "), which made them and"
                + " is alive; " + advice + ", or build the allocator withViewSharing(ViewSharing.SHARED)");
    }

    /** Closes the arena of every view handed out; called before any page loses access. */
    private void invalidateViews(Object operation) {
        fullView = null;
        if (views == null) {
            return;
        }
        if (!ownerIsGoneOrCurrent()) {
            throw confinedElsewhere(operation, "call from that thread (the region is left as it was)");
        }
        if (views == null) {
            return; // abandoned: their thread has ended
        }
        try {
            views.close();
        } catch (IllegalStateException e) {
            // A shared arena is kept open while a JDK call (an NIO transfer, a downcall) holds a view.
            throw new IllegalStateException(operation + ": a view of the region at " + Units.hex(base)
                    + " is in use by a native call (" + e.getMessage() + "); the region is left as it was, its views"
                    + " valid: call again once that call has returned", e);
        }
        views = null;
        viewOwner = null;
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
        GrowEvent event = RegionEvents.beginGrow();
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
        refuseSharedTailGranule(operation, before * pageBytes, Math.min(newPages * pageBytes, committedBytes));
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
        RegionEvents.grown(event, allocator.platform(), this, before);
        return before;
    }

    /**
     * With a page unit smaller than the granule, new pages can start inside the last committed
     * granule, {@code [start, end)}. They are readable, writable and zero only if that granule is
     * {@code READ_WRITE}: its protection cannot change for the new pages alone, and the pages it
     * already holds must keep theirs, so any other state is refused, changing nothing.
     */
    private void refuseSharedTailGranule(Object operation, long start, long end) {
        if (start >= end) {
            return;
        }
        for (PageState state : states.statesIn(start, end)) {
            if (state != PageState.READ_WRITE) {
                long granule = start & -granuleBytes;
                throw new IllegalStateException(operation + ": the new pages would start inside the granule at"
                        + " byteOffset=" + granule + " (" + granuleBytes + " bytes), which the region's last pages"
                        + " share and which is " + (state == PageState.DECOMMITTED ? "decommitted" : "protected "
                        + state.protection()) + "; make it READ_WRITE first ("
                        + (state == PageState.DECOMMITTED ? "recommit" : "protect") + ")");
            }
        }
    }

    private void commit(Object operation, long byteOffset, long byteLength) {
        commit(operation, byteOffset, byteLength, false);
    }

    /**
     * Charges, commits, then populates and locks {@code [byteOffset, +byteLength)}; all or nothing.
     * A refused initial commit of explicit huge pages is a missing option, not a kernel error.
     */
    private void commit(Object operation, long byteOffset, long byteLength, boolean initial) {
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
            long hugePageBytes = backing.explicitHugePageBytes();
            String what = hugePageBytes == 0 ? "" : " of " + backing.hugePages() + " huge pages";
            KernelException failure = allocator.kernelFailure(operation, "cannot commit " + byteLength + " bytes" + what
                    + " at " + Units.hex(address), e);
            if (initial && hugePageBytes != 0) {
                throw new ReservingPageAllocator.HugePagesUnavailable(
                        allocator.hugePagePoolShortage(hugePageBytes, byteLength, failure));
            }
            throw failure;
        } catch (RuntimeException | Error e) {
            // Whatever a backend throws, VirtualMemory.commit committed nothing: the charge goes back.
            budget.ifPresent(b -> b.refund(byteLength));
            allocator.statistics.failures.increment();
            throw e;
        }
        // Capabilities gate both options at build(); a backend that still cannot do one refuses here.
        String option = "populate";
        try {
            if (applied.populated()) {
                memory.populate(address, byteLength);
            }
            option = "lock";
            if (applied.locked()) {
                memory.lock(address, byteLength);
            }
        } catch (SystemCallException | UnsupportedOperationException e) {
            undoCommit(operation, address, byteLength);
            if (e instanceof UnsupportedOperationException unsupported && allocator.config().bestEffort()) {
                dropOption(option, unsupported.getMessage());
                commit(operation, byteOffset, byteLength, initial);
                return;
            }
            allocator.statistics.failures.increment();
            if (e instanceof SystemCallException s) {
                throw allocator.kernelFailure(operation, "cannot " + option + " " + byteLength + " bytes at "
                        + Units.hex(address), s);
            }
            throw new UnsupportedOptionException(operation.toString(), option + "=true", e.getMessage());
        } catch (RuntimeException | Error e) {
            undoCommit(operation, address, byteLength);
            allocator.statistics.failures.increment();
            throw e;
        }
        allocator.statistics.committed(byteLength);
    }

    private void undoCommit(Object operation, long address, long byteLength) {
        budget.ifPresent(b -> b.refund(byteLength));
        try {
            memory.decommit(address, byteLength, backing);
        } catch (SystemCallException e) {
            // The pages stay committed but unreachable from Java: the range is not in `states`, so
            // no view covers it, and release() unmaps it with the rest of the reservation.
            Log.undoCommitFailed(operation, address, byteLength, e);
        }
    }

    private void dropOption(String option, String reason) {
        AppliedOptions a = applied;
        List<String> downgrades = new ArrayList<>(a.downgrades());
        downgrades.add(option + "=true -> false: " + reason);
        boolean populated = a.populated() && !option.equals("populate");
        boolean locked = a.locked() && !option.equals("lock");
        applied = new AppliedOptions(a.hugePages(), a.numaPolicy(), populated, locked, a.memoryTagging(), downgrades);
    }

    @Override
    public synchronized void protect(long byteOffset, long byteLength, Protection protection) {
        ProtectEvent event = RegionEvents.beginProtect();
        Operation operation = Operation.ofRange("protect", byteOffset, byteLength, protection);
        Arguments.requireNonNull(protection, operation, "protection");
        boolean anything = checkRangeOperation(operation, byteOffset, byteLength);
        // Refused before any view is closed: the platform is known not to have it.
        if (!capabilities.protections().contains(protection)) {
            throw new UnsupportedOptionException(operation.toString(), "protection=" + protection, "platform "
                    + allocator.platform() + " offers " + capabilities.protections().stream().sorted().toList());
        }
        memory.protectionUnsupported(protection, backing).ifPresent(reason -> {
            throw new UnsupportedOptionException(operation.toString(), "protection=" + protection, reason);
        });
        if (!anything) {
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
            KernelException failure = rangeFailure(operation, "change the protection of", byteOffset, byteLength, e);
            restoreProtections(byteOffset, end, failure);
            throw failure;
        }
        states.set(byteOffset, end, PageState.of(protection));
        mappings.update(states.runCount());
        fullView = null;
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
        invalidateViews(operation);
        try {
            memory.decommit(base + byteOffset, byteLength, backing);
        } catch (SystemCallException e) {
            KernelException failure = rangeFailure(operation, "decommit", byteOffset, byteLength, e);
            restoreProtections(byteOffset, end, failure);
            throw failure;
        }
        states.set(byteOffset, end, PageState.DECOMMITTED);
        mappings.update(states.runCount());
        budget.ifPresent(b -> b.refund(newlyDecommitted));
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
        commit(operation, byteOffset, byteLength);
        states.set(byteOffset, end, PageState.READ_WRITE);
        mappings.update(states.runCount());
        fullView = null;
        RegionEvents.ranged(event, allocator.platform(), base, byteOffset, byteLength);
    }

    @Override
    public synchronized void discard(long byteOffset, long byteLength) {
        DiscardEvent event = RegionEvents.beginDiscard();
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
        RegionEvents.ranged(event, allocator.platform(), base, byteOffset, byteLength);
    }

    @Override
    public synchronized void deallocate() {
        if (!alive) {
            return;
        }
        DeallocateEvent event = RegionEvents.beginDeallocate();
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
        leakWatch.release(this);
        mappings.close();
        long stillCommitted = committedBytes - states.bytesIn(0, committedBytes, PageState.DECOMMITTED);
        budget.ifPresent(b -> b.refund(stillCommitted));
        allocator.statistics.committed(-stillCommitted);
        allocator.statistics.reserved(-reservationBytes, -1);
        allocator.statistics.deallocations.increment();
        RegionEvents.deallocated(event, allocator.platform(), base, reservationBytes, stillCommitted);
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
                failure.addSuppressed(allocator.kernelFailure("restore", "cannot restore " + run.state().protection()
                        + " on " + (run.end() - run.start()) + " bytes at " + Units.hex(base + run.start())
                        + "; recorded as NONE", e));
                states.set(run.start(), run.end(), PageState.NONE);
            }
        }
        mappings.update(states.runCount());
    }

    private KernelException rangeFailure(Object operation, String verb, long byteOffset,
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
