package dev.pagealloc.linux;

import static dev.pagealloc.linux.LinuxAbi.EINVAL;
import static dev.pagealloc.linux.LinuxAbi.ENOMEM;
import static dev.pagealloc.linux.LinuxAbi.EPERM;
import static dev.pagealloc.linux.LinuxAbi.MADV_DONTNEED;
import static dev.pagealloc.linux.LinuxAbi.MADV_DONTNEED_LOCKED;
import static dev.pagealloc.linux.LinuxAbi.MADV_HUGEPAGE;
import static dev.pagealloc.linux.LinuxAbi.MADV_NOHUGEPAGE;
import static dev.pagealloc.linux.LinuxAbi.MADV_POPULATE_WRITE;
import static dev.pagealloc.linux.LinuxAbi.MAP_ANONYMOUS;
import static dev.pagealloc.linux.LinuxAbi.MAP_FAILED;
import static dev.pagealloc.linux.LinuxAbi.MAP_FIXED;
import static dev.pagealloc.linux.LinuxAbi.MAP_FIXED_NOREPLACE;
import static dev.pagealloc.linux.LinuxAbi.MAP_HUGETLB;
import static dev.pagealloc.linux.LinuxAbi.MAP_HUGE_SHIFT;
import static dev.pagealloc.linux.LinuxAbi.MAP_NORESERVE;
import static dev.pagealloc.linux.LinuxAbi.MAP_PRIVATE;
import static dev.pagealloc.linux.LinuxAbi.MPOL_BIND;
import static dev.pagealloc.linux.LinuxAbi.MPOL_INTERLEAVE;
import static dev.pagealloc.linux.LinuxAbi.MPOL_PREFERRED;
import static dev.pagealloc.linux.LinuxAbi.PROT_EXEC;
import static dev.pagealloc.linux.LinuxAbi.PROT_NONE;
import static dev.pagealloc.linux.LinuxAbi.PROT_READ;
import static dev.pagealloc.linux.LinuxAbi.PROT_WRITE;
import static dev.pagealloc.linux.LinuxAbi.SC_PAGESIZE;

import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.HugePages;
import dev.pagealloc.api.MemoryTagging;
import dev.pagealloc.api.NumaPolicy;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Units;
import dev.pagealloc.platform.support.AlignedReservation;
import dev.pagealloc.platform.support.Lazy;
import dev.pagealloc.platform.support.PageTouch;
import dev.pagealloc.spi.Backing;
import dev.pagealloc.spi.ExecutableMemory;
import dev.pagealloc.spi.FeatureAnswer;
import dev.pagealloc.spi.HardwareMemoryTagging;
import dev.pagealloc.spi.MemoryImages;
import dev.pagealloc.spi.PageAdvice;
import dev.pagealloc.spi.PlatformFeature;
import dev.pagealloc.spi.PurgeableMemory;
import dev.pagealloc.spi.SystemCallException;
import dev.pagealloc.spi.VirtualMemory;
import java.util.OptionalLong;
import java.util.SortedSet;
import java.util.function.Supplier;

/**
 * The page primitives on Linux, written against {@link LinuxKernel}. It holds no region state: the
 * shared layer above checks every argument and remembers every range.
 *
 * <ul>
 *   <li>reserve: {@code mmap(PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE)}, over-reserved by
 *       the alignment and trimmed with {@code munmap}; then the huge page advice
 *       ({@code MADV_HUGEPAGE}/{@code MADV_NOHUGEPAGE}) and the NUMA policy ({@code mbind}), both
 *       before any page is touched.
 *   <li>commit: {@code mprotect(PROT_READ|PROT_WRITE)} for base pages; for explicit huge pages a
 *       {@code MAP_FIXED|MAP_HUGETLB} read-write mapping over the range, without
 *       {@code MAP_NORESERVE}, so an empty pool fails here with {@code ENOMEM} instead of a
 *       {@code SIGBUS} at first touch; the NUMA policy is bound to it before anything touches it.
 *   <li>decommit: base pages {@code mprotect(PROT_NONE)} then {@code madvise(MADV_DONTNEED)}, which
 *       keep the advice and NUMA policy on the range and fail, if at all, before dropping anything;
 *       explicit huge pages are replaced by a plain {@code PROT_NONE} reservation, which hands them
 *       back to the pool.
 *   <li>discard {@code madvise(MADV_DONTNEED)}, release {@code munmap}, populate
 *       {@code madvise(MADV_POPULATE_WRITE)} (touching each page where the kernel predates it),
 *       lock {@code mlock}.
 * </ul>
 *
 * <p>No mapping is ever made writable and executable: the only protections passed are those of
 * {@link Protection}, which has no such value.
 *
 * <p>Thread-safe: stateless apart from the capabilities, probed once.
 */
final class LinuxVirtualMemory implements VirtualMemory {
    private static final int RESERVE_FLAGS = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;

    private final LinuxKernel kernel;
    private final long pageBytes;
    private final Lazy<Capabilities> capabilities;
    private final Placeholders placeholders = new Placeholders();
    /** Null when the address width comes from {@link #capabilities}. */
    private final Lazy<Integer> addressBits;
    private volatile LinuxFeatures features;

    /**
     * Creates the primitives.
     *
     * @param kernel the system calls
     * @param probe computes the capabilities, called once on first use
     */
    LinuxVirtualMemory(LinuxKernel kernel, Supplier<Capabilities> probe) {
        this(kernel, kernel.sysconf(SC_PAGESIZE), probe);
    }

    /**
     * Creates the primitives over a page size already known ({@link LinuxProbe#auxvPageBytes}), so
     * opening them makes no system call.
     *
     * @param kernel the system calls
     * @param pageBytes the base page size, in bytes
     * @param probe computes the capabilities, called once on first use
     */
    LinuxVirtualMemory(LinuxKernel kernel, long pageBytes, Supplier<Capabilities> probe) {
        this(kernel, pageBytes, probe, null);
    }

    /**
     * Creates the primitives over a page size already known, with the address width probed on its own.
     *
     * @param kernel the system calls
     * @param pageBytes the base page size, in bytes
     * @param probe computes the capabilities, called once on first use
     * @param addressBits computes {@link #addressBits()}, called once on first use; null to take it from
     *     the capabilities
     */
    LinuxVirtualMemory(LinuxKernel kernel, long pageBytes, Supplier<Capabilities> probe,
            Supplier<Integer> addressBits) {
        this.kernel = kernel;
        this.pageBytes = pageBytes;
        this.capabilities = Lazy.of(probe);
        this.addressBits = addressBits == null ? null : Lazy.of(addressBits);
    }

    @Override
    public Capabilities capabilities() {
        return capabilities.get();
    }

    /**
     * {@inheritDoc}
     *
     * @implNote Probed apart from the capabilities (one read of {@code /proc/cpuinfo} on x86-64, of
     *     {@code /proc/self/maps} on arm64), so that the first {@code allocate} of a JVM, which checks the
     *     reservation against it, does not run the whole probe and link the downcalls only the probe uses.
     */
    @Override
    public int addressBits() {
        return addressBits == null ? capabilities().addressBits() : addressBits.get();
    }

    @Override
    public long pageBytes() {
        return pageBytes;
    }

    @Override
    public long allocationGranularityBytes() {
        return pageBytes;
    }

    /**
     * {@inheritDoc}
     *
     * @throws UnsupportedOperationException if the backing asks for hardware memory tagging on explicit huge
     *     pages, which this backend does not implement (software tagging is pagealloc's shadow memory and
     *     asks nothing of the backend)
     */
    @Override
    public long reserve(long byteSize, long alignmentBytes, Backing backing) throws SystemCallException {
        if (backing.memoryTagging().policy() == MemoryTagging.TaggingPolicy.HARDWARE
                && backing.explicitHugePageBytes() != 0) {
            throw new UnsupportedOperationException("memory tagging (PROT_MTE) on explicit huge pages is not"
                    + " implemented by the Linux backend");
        }
        long address = AlignedReservation.reserve(byteSize, alignmentBytes, pageBytes, placeholders, placeholders,
                placeholders);
        try {
            advise(address, byteSize, backing.hugePages());
            bind(address, byteSize, backing.numaPolicy());
        } catch (SystemCallException e) {
            unmapQuietly(address, byteSize);
            throw e;
        }
        return address;
    }

    @Override
    public void commit(long address, long byteSize, Backing backing) throws SystemCallException {
        long hugePageBytes = backing.explicitHugePageBytes();
        if (hugePageBytes == 0) {
            // PROT_MTE for hardware tagging: never run on MTE hardware (see LinuxMemoryTagging).
            mprotect(address, byteSize, LinuxMemoryTagging.commitProtection(backing));
            return;
        }
        int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_HUGETLB
                | (Long.numberOfTrailingZeros(hugePageBytes) << MAP_HUGE_SHIFT);
        // SAFETY: the range lies inside one of our reservations and is inaccessible, so no view and
        // no other mapping covers it; MAP_FIXED replaces only our own PROT_NONE placeholder.
        long mapped = kernel.mmap(address, byteSize, PROT_READ | PROT_WRITE, flags, -1, 0);
        if (mapped == MAP_FAILED) {
            SystemCallException e = failure(mmapCall(address, byteSize, PROT_READ | PROT_WRITE, flags));
            restoreReservation(address, byteSize);
            throw e;
        }
        try {
            // The new mapping has no policy of its own; bind it before any page of it exists.
            bind(address, byteSize, backing.numaPolicy());
        } catch (SystemCallException e) {
            replaceWithReservation(address, byteSize);
            throw e;
        }
    }

    @Override
    public void protect(long address, long byteSize, Protection protection) throws SystemCallException {
        mprotect(address, byteSize, prot(protection));
    }

    /**
     * {@inheritDoc}
     *
     * @implNote Base pages: {@code mprotect(PROT_NONE)} takes the access, then
     *     {@code madvise(MADV_DONTNEED)} drops the pages (private anonymous memory reads zero
     *     afterwards). The order matters: only {@code mprotect} can fail for want of a mapping, when
     *     the range splits a mapping and the process is at {@code vm.max_map_count} ({@code ENOMEM},
     *     {@code mprotect(2)}; {@code split_vma} in {@code mm/vma.c}), and it fails before any
     *     page is dropped, while {@code MADV_DONTNEED} splits no mapping (it only zaps page tables,
     *     {@code madvise_dontneed_free} in {@code mm/madvise.c}). A refused decommit thus loses no
     *     content; the pages may have lost access (all, or those of the mappings {@code mprotect}
     *     changed before it stopped), and the shared layer puts their protection back. The range
     *     keeps its huge page advice and NUMA policy, so nothing has to be re-applied. The safe
     *     order costs more on large dirty ranges, as {@code mprotect} then rewrites page table
     *     entries that {@code MADV_DONTNEED} would have cleared first (x86-64, Linux 6.18, one dirty
     *     range, &micro;s per decommit, mprotect+madvise / madvise+mprotect / mmap: 3.9 / 3.8 / 3.4
     *     for 4 KiB, 10.3 / 9.2 / 8.9 for 64 KiB, 186 / 146 / 155 for 2 MiB). The alternative, one
     *     {@code mmap(MAP_FIXED, PROT_NONE)} over the range, is cheaper but before Linux 6.12
     *     unmaps the old pages before it can fail, and makes a new mapping without advice or
     *     policy. Locked pages refuse {@code MADV_DONTNEED} ({@code EINVAL}): they are unlocked
     *     ({@code munlock}) first, so they leave memory and stop counting against
     *     {@code RLIMIT_MEMLOCK}, and are locked again when recommitted; {@code munlock} of part of
     *     a locked mapping splits it and can fail the same way, still before any page is dropped.
     *     Under strict overcommit ({@code vm.overcommit_memory=2}) the commit charge stays until
     *     release. Explicit huge pages: {@code mmap(MAP_FIXED, PROT_NONE, MAP_NORESERVE)} of a
     *     plain anonymous mapping, which returns them and their reservation to the pool; the NUMA
     *     policy is bound again when the range is next committed. Before Linux 6.12 that call
     *     unmaps the huge pages before it can fail, so there a refusal has dropped their contents.
     */
    @Override
    public void decommit(long address, long byteSize, Backing backing) throws SystemCallException {
        if (backing.explicitHugePageBytes() != 0) {
            // SAFETY: the range is ours and the shared layer has closed every view of it.
            long mapped = kernel.mmap(address, byteSize, PROT_NONE, RESERVE_FLAGS | MAP_FIXED, -1, 0);
            if (mapped == MAP_FAILED) {
                throw failure(mmapCall(address, byteSize, PROT_NONE, RESERVE_FLAGS | MAP_FIXED));
            }
            return;
        }
        mprotect(address, byteSize, PROT_NONE);
        if (kernel.madvise(address, byteSize, MADV_DONTNEED) != 0) {
            int errno = kernel.errno();
            if (errno != EINVAL) {
                throw failure(adviseCall(address, byteSize, MADV_DONTNEED), errno);
            }
            // EINVAL: the range is locked. Unlock it, so that its pages leave memory and stop
            // counting against RLIMIT_MEMLOCK; a later commit locks them again.
            if (kernel.munlock(address, byteSize) != 0) {
                throw failure(call("munlock", address, byteSize));
            }
            if (kernel.madvise(address, byteSize, MADV_DONTNEED) != 0) {
                throw failure(adviseCall(address, byteSize, MADV_DONTNEED));
            }
        }
    }

    /**
     * {@inheritDoc}
     *
     * @implNote {@code madvise(MADV_DONTNEED)}; locked pages refuse it ({@code EINVAL}) and are
     *     dropped with {@code MADV_DONTNEED_LOCKED} (Linux 5.18), staying locked. On explicit huge
     *     pages the freed pages go back to the pool and, since Linux 6.7, the mapping's reservation
     *     is restored, so touching them again cannot fail for want of a page.
     */
    @Override
    public void discard(long address, long byteSize, Backing backing) throws SystemCallException {
        dontNeed(address, byteSize);
    }

    @Override
    public void release(long address, long byteSize) throws SystemCallException {
        // SAFETY: the whole reservation is ours and every view of it is closed.
        if (kernel.munmap(address, byteSize) != 0) {
            throw failure(call("munmap", address, byteSize));
        }
    }

    /** {@inheritDoc} {@code munmap} takes any page range, across mappings and holes ({@code munmap(2)}). */
    @Override
    public boolean releasesAdjacentReservations() {
        return true;
    }

    @Override
    @SuppressWarnings("restricted") // see the SAFETY line
    public void populate(long address, long byteSize) throws SystemCallException {
        if (kernel.madvise(address, byteSize, MADV_POPULATE_WRITE) == 0) {
            return;
        }
        int errno = kernel.errno();
        if (errno != EINVAL) {
            throw failure(adviseCall(address, byteSize, MADV_POPULATE_WRITE), errno);
        }
        // Before Linux 5.14 the advice is unknown (EINVAL): fault each page in by writing to it.
        PageTouch.populate(address, byteSize, pageBytes);
    }

    @Override
    public void lock(long address, long byteSize) throws SystemCallException {
        if (kernel.mlock(address, byteSize) != 0) {
            int errno = kernel.errno();
            if (errno == ENOMEM || errno == EPERM) {
                // Past RLIMIT_MEMLOCK (mlock(2), ENOMEM and EPERM): the message names the limit.
                throw new SystemCallException(call("mlock", address, byteSize), errno, LinuxAbi.errnoName(errno),
                        kernel.strerror(errno) + "; " + MemlockLimit.describe());
            }
            throw failure(call("mlock", address, byteSize), errno);
        }
    }

    // ---- the calls, each checked and rendered once ----

    private void mprotect(long address, long byteSize, int prot) throws SystemCallException {
        if (kernel.mprotect(address, byteSize, prot) != 0) {
            throw failure("mprotect(" + Units.hex(address) + ", " + byteSize + ", " + LinuxAbi.protName(prot) + ")");
        }
    }

    /** Drops the pages' contents; locked pages refuse MADV_DONTNEED and need MADV_DONTNEED_LOCKED. */
    void dontNeed(long address, long byteSize) throws SystemCallException {
        if (kernel.madvise(address, byteSize, MADV_DONTNEED) == 0) {
            return;
        }
        int errno = kernel.errno();
        if (errno != EINVAL) {
            throw failure(adviseCall(address, byteSize, MADV_DONTNEED), errno);
        }
        if (kernel.madvise(address, byteSize, MADV_DONTNEED_LOCKED) != 0) {
            throw failure(adviseCall(address, byteSize, MADV_DONTNEED_LOCKED));
        }
    }

    /**
     * The three steps of an aligned reservation, as one named class rather than three lambdas: the first
     * {@code allocate} of a JVM runs them, and each first lambda spins a class.
     */
    private final class Placeholders
            implements AlignedReservation.Reserve, AlignedReservation.Release, AlignedReservation.Rollback {
        @Override
        public long reserve(long mapBytes) throws SystemCallException {
            long raw = kernel.mmap(0, mapBytes, PROT_NONE, RESERVE_FLAGS, -1, 0);
            if (raw == MAP_FAILED) {
                throw failure(mmapCall(0, mapBytes, PROT_NONE, RESERVE_FLAGS));
            }
            return raw;
        }

        @Override
        public void release(long trimmed, long trimmedBytes) throws SystemCallException {
            // SAFETY: the slack before and after the aligned range is ours, mapped by reserve above.
            if (kernel.munmap(trimmed, trimmedBytes) != 0) {
                throw failure(call("munmap", trimmed, trimmedBytes));
            }
        }

        @Override
        public void rollback(long owned, long ownedBytes, SystemCallException failure) {
            unmapQuietly(owned, ownedBytes);
        }
    }

    private void advise(long address, long byteSize, HugePages hugePages) throws SystemCallException {
        // instanceof, not a pattern switch: the first switch over a sealed type in a JVM bootstraps a
        // type-switch class (SwitchBootstraps, the class-file API), and every first allocate passes here.
        // SystemDefault and Explicit need no advice.
        int advice = hugePages instanceof HugePages.Transparent ? MADV_HUGEPAGE
                : hugePages instanceof HugePages.None ? MADV_NOHUGEPAGE : 0;
        if (advice != 0 && kernel.madvise(address, byteSize, advice) != 0) {
            throw failure(adviseCall(address, byteSize, advice));
        }
    }

    private void bind(long address, long byteSize, NumaPolicy policy) throws SystemCallException {
        // instanceof, not a pattern switch (see advise); Default binds nothing.
        int mode = policy instanceof NumaPolicy.Bind ? MPOL_BIND
                : policy instanceof NumaPolicy.Preferred ? MPOL_PREFERRED
                : policy instanceof NumaPolicy.Interleave ? MPOL_INTERLEAVE : 0;
        if (mode == 0) {
            return;
        }
        SortedSet<Integer> nodes = policy.nodes();
        long[] nodemask = new long[nodes.last() / Long.SIZE + 1];
        for (int node : nodes) {
            nodemask[node / Long.SIZE] |= 1L << (node % Long.SIZE);
        }
        long maxnode = (long) nodemask.length * Long.SIZE + 1;
        if (kernel.mbind(address, byteSize, mode, nodemask, maxnode, 0) != 0) {
            throw failure("mbind(" + Units.hex(address) + ", " + byteSize + ", " + LinuxAbi.policyName(mode)
                    + ", nodes="
                    + nodes + ", " + maxnode + ", 0)");
        }
    }

    /**
     * After a failed {@code MAP_FIXED} huge page mapping, puts an inaccessible placeholder back where
     * the kernel may have unmapped the old one (kernels before 6.12 unmap first). With
     * {@code MAP_FIXED_NOREPLACE} it never clobbers a mapping, ours or another thread's: where the
     * placeholder survived, the call fails with {@code EEXIST} and nothing changes.
     */
    private void restoreReservation(long address, long byteSize) {
        long mapped = kernel.mmap(address, byteSize, PROT_NONE, RESERVE_FLAGS | MAP_FIXED_NOREPLACE, -1, 0);
        if (mapped != MAP_FAILED && mapped != address) {
            // A kernel before 4.17 took the unknown flag as a hint and mapped elsewhere: give that back.
            kernel.munmap(mapped, byteSize);
        }
    }

    /** Turns a committed huge page range back into a placeholder; the first failure is what is reported. */
    private void replaceWithReservation(long address, long byteSize) {
        // SAFETY: the range was mapped by us a moment ago and nothing has seen it.
        kernel.mmap(address, byteSize, PROT_NONE, RESERVE_FLAGS | MAP_FIXED, -1, 0);
    }

    /** Gives back a reservation this class made, after a failure that is already being reported. */
    private void unmapQuietly(long address, long byteSize) {
        // SystemCallException carries no suppressed exceptions; the first failure is the one reported.
        kernel.munmap(address, byteSize);
    }

    /** {@return the system calls} */
    LinuxKernel kernel() {
        return kernel;
    }

    /**
     * {@inheritDoc}
     *
     * @implNote Linux offers {@link ExecutableMemory} (a {@code memfd} mapped twice; absent on arm64
     *     where libgcc's {@code __clear_cache} cannot be found), {@link MemoryImages} (sealed {@code memfd}s
     *     mapped private) and {@link PageAdvice} ({@code madvise}). {@link PurgeableMemory} is macOS's;
     *     {@link HardwareMemoryTagging} is answered absent with what {@code getauxval(AT_HWCAP2)} says.
     */
    @Override
    public <F extends PlatformFeature> FeatureAnswer<F> feature(Class<F> type) {
        return features().answer(type);
    }

    private LinuxFeatures features() {
        LinuxFeatures f = features;
        if (f == null) {
            synchronized (this) {
                f = features;
                if (f == null) {
                    f = new LinuxFeatures(this, System.getProperty("os.arch"));
                    features = f;
                }
            }
        }
        return f;
    }

    private static int prot(Protection protection) {
        return switch (protection) {
            case NONE -> PROT_NONE;
            case READ -> PROT_READ;
            case READ_WRITE -> PROT_READ | PROT_WRITE;
            case READ_EXECUTE -> PROT_READ | PROT_EXEC;
        };
    }

    SystemCallException failure(String call) {
        return failure(call, kernel.errno());
    }

    private SystemCallException failure(String call, int errno) {
        return new SystemCallException(call, errno, LinuxAbi.errnoName(errno), kernel.strerror(errno));
    }

    private static String call(String function, long address, long byteSize) {
        return function + "(" + Units.hex(address) + ", " + byteSize + ")";
    }

    static String adviseCall(long address, long byteSize, int advice) {
        return "madvise(" + Units.hex(address) + ", " + byteSize + ", " + LinuxAbi.adviceName(advice) + ")";
    }

    static String mmapCall(long address, long byteSize, int prot, int flags) {
        return "mmap(" + Units.hex(address) + ", " + byteSize + ", " + LinuxAbi.protName(prot) + ", "
                + LinuxAbi.mapFlagsName(flags) + ", -1, 0)";
    }
    /**
     * {@inheritDoc}
     *
     * @implNote {@code /proc/sys/vm/max_map_count}: {@code do_mmap} ({@code mm/mmap.c}) and {@code split_vma}
     *     ({@code mm/vma.c}, reached from {@code mprotect} and {@code munmap}) return ENOMEM at it.
     */
    @Override
    public OptionalLong mappingLimit() {
        return LinuxProbe.ofSystem(kernel).maxMapCount();
    }

    /**
     * {@inheritDoc}
     *
     * @implNote The lines of {@code /proc/self/maps}.
     */
    @Override
    public long mappingCount() {
        return LinuxProbe.ofSystem(kernel).mappingCount();
    }
}
