package dev.pagealloc.api;

import dev.pagealloc.internal.PartitionReserve;
import dev.pagealloc.internal.Partitions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A named share of memory that committed pages are charged to, as a QNX memory partition or a cgroup
 * is: a hard maximum, a guaranteed minimum held resident up front, flags (locked, non-paged, best
 * effort), nested partitions, statistics and a {@link PartitionLimiter} asked before a refusal.
 * Allocators are created inside one ({@link PageAllocatorBuilder#withPartition}); every byte their
 * regions commit is charged to it and to each ancestor before the kernel is asked, and refunded on
 * decommit and deallocate.
 *
 * <h2>Accounting</h2>
 * A partition's <em>use</em> is what its own regions commit, plus what is {@linkplain #charge charged}
 * directly, plus each child's footprint, {@code max(child use, child guaranteed minimum)}: a child
 * counts in every ancestor, and its guaranteed minimum counts from the moment it is built. A charge
 * is checked and applied at every level under one lock per tree, so it is atomic: a level that
 * cannot take it refuses, and then no level holds any of it. A child's maximum may not exceed its
 * parent's, and the guaranteed minimums of a partition's children (with its own direct use) must fit
 * inside its maximum.
 *
 * <h2>The guaranteed minimum</h2>
 * Built with {@code guaranteedBytes > 0}, a partition reserves that much address space of its own (the
 * <em>reserve</em>, rounded up to the platform page), commits it and prefaults it, so the memory is
 * resident before any region asks for it, and locks it ({@code mlock}, {@code VirtualLock}) when the
 * partition is {@link Flag#LOCKED} or {@link Flag#NON_PAGED}. As the partition's use grows toward the
 * minimum, the reserve hands its pages back: after a commit (and its prefault) has made the region's own
 * pages resident, the reserve decommits as many of its own. As use falls below the minimum (decommit,
 * deallocate), the reserve commits and prefaults pages again. So at every moment between operations the
 * partition holds resident at least its guaranteed minimum: the reserve's pages plus its regions'
 * prefaulted ones. To make that hold, an allocator inside a partition with a guaranteed minimum (its own
 * or an ancestor's) prefaults every page it commits where the platform can ({@link Capabilities#prefaulting()}).
 * The embedded provider has no system to hold memory from: its buffer is always there.
 *
 * <p>During a hand-over both the new pages and the reserve's are held, so for a locked partition the lock
 * limit ({@code RLIMIT_MEMLOCK}, the Windows minimum working set) must cover the minimum plus the largest
 * single commit.
 *
 * <p>Not guaranteed: that the kernel keeps unlocked pages resident (under memory pressure it may
 * swap them; {@link Flag#LOCKED} prevents that); that refilling the reserve after a decommit succeeds
 * (a refusal is logged, and {@link PartitionStatistics#reserveBytes()} shows what is held).
 *
 * <p>Thread-safe: a partition may be shared by many allocators and threads.
 */
public sealed class MemoryPartition implements AutoCloseable permits MemoryBudget {

    /** How a partition's pages are held. */
    public enum Flag {
        /**
         * Its regions' pages and its reserve are locked in memory, as {@link PageAllocatorBuilder#withLock}
         * does (Linux and macOS {@code mlock}, Windows {@code VirtualLock}). Applies to every descendant.
         */
        LOCKED,
        /**
         * Its pages may never be paged out: on every platform pagealloc runs on, this is {@link #LOCKED}
         * (Linux {@code mlock(2)}: "guaranteed to stay in RAM until later unlocked"; macOS {@code mlock}
         * wires the pages; Windows {@code VirtualLock}: "guaranteed not to be written to the pagefile while
         * they are locked"), except that {@link #BEST_EFFORT} never downgrades it. Refused where pages
         * cannot be locked (the embedded provider: the buffer is the caller's memory).
         */
        NON_PAGED,
        /**
         * What cannot be applied is dropped and reported ({@link MemoryPartition#downgrades()}) instead of
         * refused: locking the reserve past {@code RLIMIT_MEMLOCK}, and {@link #LOCKED} for allocators on a
         * platform that cannot lock. The maximum is never relaxed.
         */
        BEST_EFFORT
    }

    static {
        Partitions.install(new Partitions.Access() {
            @Override
            public void charge(MemoryPartition partition, String operation, long byteCount) {
                partition.chargeUnsettled(operation, byteCount);
            }

            @Override
            public void settle(MemoryPartition partition) {
                partition.settle();
            }
        });
    }

    private final String name;
    private final MemoryPartition parent;
    private final long maximumBytes;
    private final long guaranteedBytes;
    private final Set<Flag> flags;
    private final PartitionLimiter limiter;
    /** The one lock of this partition's tree: every charge and refund of the tree holds it. */
    private final Object tree;
    private final List<MemoryPartition> children = new CopyOnWriteArrayList<>();
    private final AtomicLong refusals = new AtomicLong();
    private final PartitionReserve reserve;
    private final List<String> downgrades;
    /** The guaranteed minimums of the children built or being built; guarded by {@code tree}. */
    private long childGuaranteedBytes;
    // Written under `tree`, read without it.
    private volatile long usedBytes;
    private volatile long peakBytes;
    private volatile boolean closed;

    /** A root partition with no guarantee, flags or limiter: a {@link MemoryBudget}. */
    MemoryPartition(String name, long maximumBytes) {
        this.name = name;
        this.parent = null;
        this.maximumBytes = maximumBytes;
        this.guaranteedBytes = 0;
        this.flags = Collections.unmodifiableSet(EnumSet.noneOf(Flag.class));
        this.limiter = null;
        this.tree = new Object();
        this.reserve = null;
        this.downgrades = List.of();
    }

    private MemoryPartition(Builder b, String operation) {
        this.name = b.name;
        this.parent = b.parent;
        this.maximumBytes = b.maximumBytes;
        this.guaranteedBytes = b.guaranteedBytes;
        this.flags = Collections.unmodifiableSet(
                b.flags.isEmpty() ? EnumSet.noneOf(Flag.class) : EnumSet.copyOf(b.flags));
        this.limiter = b.limiter;
        this.tree = parent == null ? new Object() : parent.tree;
        List<String> dropped = new ArrayList<>();
        if (guaranteedBytes > 0) {
            PageAllocator source = b.reserveAllocator != null ? b.reserveAllocator : PageAllocator.builder().build();
            this.reserve = PartitionReserve.open(source, operation, guaranteedBytes, locksPages(),
                    flags.contains(Flag.BEST_EFFORT) && !nonPaged(), dropped);
        } else {
            this.reserve = null;
        }
        this.downgrades = List.copyOf(dropped);
    }

    /**
     * {@return a builder of a root partition named {@code name}}
     *
     * @param name a name for messages and statistics; not blank (checked at {@link Builder#build()})
     */
    public static Builder builder(String name) {
        return new Builder(name, null);
    }

    /**
     * {@return a builder of a child of this partition named {@code name}}: its use counts in this
     * partition and every ancestor.
     *
     * @param name a name for messages and statistics; not blank (checked at {@link Builder#build()})
     */
    public Builder child(String name) {
        return new Builder(name, this);
    }

    /** {@return the name} */
    public String name() {
        return name;
    }

    /** {@return the parent, or empty for a root partition} */
    public Optional<MemoryPartition> parent() {
        return Optional.ofNullable(parent);
    }

    /** {@return the children not yet closed, in creation order} */
    public List<MemoryPartition> children() {
        return List.copyOf(children);
    }

    /** {@return the maximum, in bytes} */
    public long maximumBytes() {
        return maximumBytes;
    }

    /** {@return the maximum, in bytes: the same as {@link #maximumBytes()}, the name it has for budgets} */
    public long limitBytes() {
        return maximumBytes;
    }

    /** {@return the guaranteed minimum, in bytes} */
    public long guaranteedBytes() {
        return guaranteedBytes;
    }

    /** {@return the flags this partition was built with (not its ancestors')} */
    public Set<Flag> flags() {
        return flags;
    }

    /** {@return the bytes charged now, children's footprints included (see the class comment)} */
    public long usedBytes() {
        return usedBytes;
    }

    /**
     * {@return what {@link Flag#BEST_EFFORT} dropped when the partition was built}, each as
     * {@code option -> fallback: reason}; empty if everything was applied
     */
    public List<String> downgrades() {
        return downgrades;
    }

    /**
     * {@return whether allocators in this partition lock their pages}: {@link Flag#LOCKED} or
     * {@link Flag#NON_PAGED} on this partition or an ancestor
     */
    public boolean locksPages() {
        for (MemoryPartition p = this; p != null; p = p.parent) {
            if (p.flags.contains(Flag.LOCKED) || p.flags.contains(Flag.NON_PAGED)) {
                return true;
            }
        }
        return false;
    }

    /** {@return whether {@link Flag#NON_PAGED} is set on this partition or an ancestor: never downgraded} */
    public boolean nonPaged() {
        for (MemoryPartition p = this; p != null; p = p.parent) {
            if (p.flags.contains(Flag.NON_PAGED)) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@return whether allocators in this partition prefault what they commit}: this partition or an
     * ancestor has a guaranteed minimum, whose reserve hands pages over only once they are resident
     */
    public boolean prefaultsPages() {
        for (MemoryPartition p = this; p != null; p = p.parent) {
            if (p.guaranteedBytes > 0) {
                return true;
            }
        }
        return false;
    }

    /** {@return whether a refusal of {@link Flag#LOCKED} is downgraded for allocators in this partition} */
    public boolean bestEffort() {
        return flags.contains(Flag.BEST_EFFORT) && !nonPaged();
    }

    /** {@return a snapshot of this partition's figures and its children's} */
    public PartitionStatistics statistics() {
        List<PartitionStatistics> childStatistics = new ArrayList<>();
        for (MemoryPartition child : children) {
            childStatistics.add(child.statistics());
        }
        return new PartitionStatistics(name, usedBytes, peakBytes, maximumBytes, guaranteedBytes,
                reserve == null ? 0 : reserve.residentBytes(), refusals.get(), childStatistics);
    }

    /**
     * Charges {@code byteCount} bytes to this partition and every ancestor, or refuses without charging
     * anything. Regions charge what they commit; a host may also charge memory it manages itself. Before
     * refusing, the refusing partition's {@link PartitionLimiter} (if any) is asked.
     *
     * @param operation the operation charging, for the message
     * @param byteCount bytes to charge; non-negative
     * @throws IllegalArgumentException if {@code byteCount < 0}
     * @throws IllegalStateException if the partition is closed
     * @throws BudgetExceededException if this partition or an ancestor cannot take the bytes
     */
    public void charge(String operation, long byteCount) {
        chargeUnsettled(operation, byteCount);
        settle();
    }

    /**
     * Returns {@code byteCount} bytes to this partition and its ancestors; a guaranteed minimum's reserve
     * takes back what falls below it.
     *
     * @param byteCount bytes to refund; non-negative, at most {@link #usedBytes()} less the children's footprints
     * @throws IllegalArgumentException if {@code byteCount} is negative or more than is charged
     */
    public void refund(long byteCount) {
        synchronized (tree) {
            if (byteCount < 0 || byteCount > usedBytes) {
                throw new IllegalArgumentException(kind() + " '" + name + "': refund(byteCount=" + byteCount
                        + ") is negative or more than usedBytes=" + usedBytes);
            }
            long delta = byteCount;
            for (MemoryPartition p = this; p != null && delta > 0; p = p.parent) {
                long before = p.usedBytes;
                p.usedBytes = before - delta;
                delta = Math.max(before, p.guaranteedBytes) - Math.max(before - delta, p.guaranteedBytes);
            }
        }
        settle();
    }

    private void chargeUnsettled(String operation, long byteCount) {
        if (byteCount < 0) {
            throw new IllegalArgumentException(operation + ": " + kind() + " '" + name
                    + "' cannot be charged byteCount=" + byteCount + ": negative");
        }
        MemoryPartition refusing = tryCharge(operation, byteCount);
        if (refusing == null) {
            return;
        }
        long refusedUse = refusing.refusedUse;
        long refusedRequest = refusing.refusedRequest;
        RuntimeException vetoed = null;
        if (refusing.limiter != null) {
            boolean retry = false;
            try {
                retry = refusing.limiter.beforeRefusal(new PartitionLimiter.Request(refusing, this, operation,
                        refusedRequest, refusedUse, refusing.maximumBytes));
            } catch (RuntimeException e) {
                vetoed = e;
            }
            if (retry) {
                MemoryPartition again = tryCharge(operation, byteCount);
                if (again == null) {
                    return;
                }
                refusing = again;
                refusedUse = again.refusedUse;
                refusedRequest = again.refusedRequest;
            }
        }
        refusing.refusals.incrementAndGet();
        throw new BudgetExceededException(operation, refusing, this, refusedUse, refusedRequest, vetoed);
    }

    // The figures of the last refusal, read by the refusing thread right after tryCharge returns; only
    // for the message, so a race between two refusals can at worst mix two consistent readings.
    private volatile long refusedUse;
    private volatile long refusedRequest;

    /** {@return null if every level took the charge, else the level that refused (nothing charged)} */
    private MemoryPartition tryCharge(String operation, long byteCount) {
        synchronized (tree) {
            if (closed) {
                throw new IllegalStateException(operation + ": " + kind() + " '" + name + "' is closed");
            }
            long delta = byteCount;
            for (MemoryPartition p = this; p != null && delta > 0; p = p.parent) {
                long before = p.usedBytes;
                if (delta > p.maximumBytes - before) {
                    p.refusedUse = before;
                    p.refusedRequest = delta;
                    return p;
                }
                delta = Math.max(before + delta, p.guaranteedBytes) - Math.max(before, p.guaranteedBytes);
            }
            delta = byteCount;
            for (MemoryPartition p = this; p != null && delta > 0; p = p.parent) {
                long before = p.usedBytes;
                p.usedBytes = before + delta;
                if (before + delta > p.peakBytes) {
                    p.peakBytes = before + delta;
                }
                delta = Math.max(before + delta, p.guaranteedBytes) - Math.max(before, p.guaranteedBytes);
            }
            return null;
        }
    }

    /** Brings each reserve of the chain to what its partition's use leaves of its guaranteed minimum. */
    private void settle() {
        for (MemoryPartition p = this; p != null; p = p.parent) {
            if (p.reserve != null) {
                p.reserve.resizeTo(p.guaranteedBytes - Math.min(p.usedBytes, p.guaranteedBytes));
            }
        }
    }

    /**
     * Closes the partition: its reserve is released and its footprint refunded to its parent. Idempotent.
     *
     * @throws IllegalStateException if a child is open or bytes are still charged (regions still
     *     committed in it); the message says which
     */
    @Override
    public void close() {
        synchronized (tree) {
            if (closed) {
                return;
            }
            if (!children.isEmpty()) {
                throw new IllegalStateException("close(): " + kind() + " '" + name + "' has open children "
                        + children.stream().map(MemoryPartition::name).toList());
            }
            if (usedBytes != 0) {
                throw new IllegalStateException("close(): " + kind() + " '" + name + "' still has usedBytes="
                        + usedBytes + " charged; deallocate its regions first");
            }
            closed = true;
            if (parent != null) {
                parent.children.remove(this);
            }
        }
        if (reserve != null) {
            reserve.release();
        }
        if (parent != null && guaranteedBytes > 0) {
            parent.refund(guaranteedBytes);
            parent.releaseChildGuarantee(guaranteedBytes);
        }
    }

    private void releaseChildGuarantee(long byteCount) {
        synchronized (tree) {
            childGuaranteedBytes -= byteCount;
        }
    }

    /** {@return how messages name this kind of partition} */
    String kind() {
        return "partition";
    }

    @Override
    public String toString() {
        return "MemoryPartition[name=" + name + ", usedBytes=" + usedBytes + ", maximumBytes=" + maximumBytes
                + ", guaranteedBytes=" + guaranteedBytes + ", flags=" + flags + "]";
    }

    /**
     * Configures a {@link MemoryPartition}; {@link #build()} checks everything. Not thread-safe.
     */
    public static final class Builder {
        private final String name;
        private final MemoryPartition parent;
        private long maximumBytes = -1;
        private long guaranteedBytes;
        private final Set<Flag> flags = EnumSet.noneOf(Flag.class);
        private PartitionLimiter limiter;
        private PageAllocator reserveAllocator;

        private Builder(String name, MemoryPartition parent) {
            this.name = name;
            this.parent = parent;
        }

        /**
         * Sets the maximum (required).
         *
         * @param maximumBytes the hard limit of the partition's use, in bytes; positive, at most the parent's
         * @return this builder
         */
        public Builder maximumBytes(long maximumBytes) {
            this.maximumBytes = maximumBytes;
            return this;
        }

        /**
         * Sets the guaranteed minimum (default 0): reserved, committed and prefaulted when the partition is
         * built, and charged to the parent from then on.
         *
         * @param guaranteedBytes the minimum, in bytes; {@code 0 <= guaranteedBytes <= maximumBytes}
         * @return this builder
         */
        public Builder guaranteedBytes(long guaranteedBytes) {
            this.guaranteedBytes = guaranteedBytes;
            return this;
        }

        /**
         * Adds flags.
         *
         * @param flags the flags
         * @return this builder
         * @throws NullPointerException if {@code flags} or one of them is null
         */
        public Builder flags(Flag... flags) {
            for (Flag flag : flags) {
                if (flag == null) {
                    throw new NullPointerException("MemoryPartition.Builder.flags(...): a flag is null");
                }
                this.flags.add(flag);
            }
            return this;
        }

        /**
         * Sets the limiter asked before this partition refuses a charge.
         *
         * @param limiter the limiter
         * @return this builder
         * @throws NullPointerException if {@code limiter} is null
         */
        public Builder limiter(PartitionLimiter limiter) {
            if (limiter == null) {
                throw new NullPointerException(
                        "MemoryPartition.Builder.limiter(limiter=null): limiter must not be null");
            }
            this.limiter = limiter;
            return this;
        }

        /**
         * Chooses the platform the guaranteed minimum's reserve is taken from: that of {@code allocator}
         * (its options and partition do not apply to the reserve). Unless set, an allocator of the best
         * platform is built.
         *
         * @param allocator an allocator of this library
         * @return this builder
         * @throws NullPointerException if {@code allocator} is null
         */
        public Builder reserveFrom(PageAllocator allocator) {
            if (allocator == null) {
                throw new NullPointerException("MemoryPartition.Builder.reserveFrom(allocator=null): allocator must"
                        + " not be null");
            }
            this.reserveAllocator = allocator;
            return this;
        }

        /**
         * Checks the configuration, charges the guaranteed minimum to the parent, and reserves, commits,
         * prefaults and (if locked) locks it.
         *
         * @return the partition
         * @throws IllegalArgumentException if the name is blank, the maximum is not positive or exceeds the
         *     parent's, the guaranteed minimum is negative or exceeds the maximum, or the children's
         *     guaranteed minimums would not fit inside the parent's maximum
         * @throws IllegalStateException if the parent is closed
         * @throws BudgetExceededException if the parent (or an ancestor) cannot take the guaranteed minimum now
         * @throws UnsupportedOptionException if the reserve must be locked and the platform cannot lock pages
         *     (unless {@link Flag#BEST_EFFORT} without {@link Flag#NON_PAGED})
         * @throws KernelException if the kernel refuses to reserve, commit, prefault or lock the reserve (a
         *     lock past {@code RLIMIT_MEMLOCK} names the limit); nothing is left reserved or charged
         * @throws PlatformUnavailableException if no reserve allocator was given and no platform serves this machine
         */
        public MemoryPartition build() {
            String operation = "MemoryPartition.build(name=" + name + ", maximumBytes=" + maximumBytes
                    + ", guaranteedBytes=" + guaranteedBytes + (parent == null ? "" : ", parent=" + parent.name) + ")";
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException(operation + ": a name is needed");
            }
            if (maximumBytes <= 0) {
                throw new IllegalArgumentException(operation + ": maximumBytes must be set and positive");
            }
            if (guaranteedBytes < 0 || guaranteedBytes > maximumBytes) {
                throw new IllegalArgumentException(operation + ": guaranteedBytes must be within [0, maximumBytes]");
            }
            if (parent != null) {
                if (maximumBytes > parent.maximumBytes) {
                    throw new IllegalArgumentException(operation + ": maximumBytes exceeds the parent '" + parent.name
                            + "''s maximumBytes=" + parent.maximumBytes);
                }
                synchronized (parent.tree) { // checked and claimed at once, so two builds cannot both fit
                    long siblings = parent.childGuaranteedBytes;
                    if (guaranteedBytes > parent.maximumBytes - siblings) {
                        throw new IllegalArgumentException(operation + ": the children's guaranteed minimums ("
                                + siblings + " bytes already, + " + guaranteedBytes + ") would exceed the parent '"
                                + parent.name + "''s maximumBytes=" + parent.maximumBytes);
                    }
                    if (parent.closed) {
                        throw new IllegalStateException(operation + ": the parent '" + parent.name + "' is closed");
                    }
                    parent.childGuaranteedBytes = siblings + guaranteedBytes;
                }
                try {
                    // The guaranteed minimum is the child's footprint from now on: the parent takes it first.
                    parent.chargeUnsettled(operation, guaranteedBytes);
                } catch (RuntimeException | Error e) {
                    parent.releaseChildGuarantee(guaranteedBytes);
                    throw e;
                }
            }
            MemoryPartition partition;
            try {
                partition = new MemoryPartition(this, operation);
            } catch (RuntimeException | Error e) {
                if (parent != null) {
                    parent.refund(guaranteedBytes);
                    parent.releaseChildGuarantee(guaranteedBytes);
                }
                throw e;
            }
            if (parent != null) {
                parent.children.add(partition);
                parent.settle(); // the child's reserve is resident now: the parent's hands as much back
            }
            return partition;
        }
    }
}
