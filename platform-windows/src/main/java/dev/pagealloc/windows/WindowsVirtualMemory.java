package dev.pagealloc.windows;

import static dev.pagealloc.windows.Win32Abi.MEM_COMMIT;
import static dev.pagealloc.windows.Win32Abi.MEM_DECOMMIT;
import static dev.pagealloc.windows.Win32Abi.MEM_LARGE_PAGES;
import static dev.pagealloc.windows.Win32Abi.MEM_RELEASE;
import static dev.pagealloc.windows.Win32Abi.MEM_RESERVE;
import static dev.pagealloc.windows.Win32Abi.MEM_RESET;
import static dev.pagealloc.windows.Win32Abi.PAGE_NOACCESS;
import static dev.pagealloc.windows.Win32Abi.PAGE_READWRITE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.NumaPolicy;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Units;
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
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Supplier;

/**
 * The page primitives on the Win32 memory manager, written against {@link Win32Kernel} so that they
 * run unchanged on Windows or on a simulated kernel: reserve is {@code VirtualAlloc(MEM_RESERVE,
 * PAGE_NOACCESS)} on the 64 KiB allocation granularity ({@code VirtualAllocExNuma} with a preferred
 * node), commit {@code VirtualAlloc(MEM_COMMIT, PAGE_READWRITE)}, protect {@code VirtualProtect},
 * decommit {@code VirtualFree(MEM_DECOMMIT)}, release {@code VirtualFree(base, 0, MEM_RELEASE)}.
 *
 * <h2>Discard</h2>
 * Windows has no call that replaces accessible pages by zero pages atomically:
 * {@code DiscardVirtualMemory} and {@code MEM_RESET} leave the contents undefined (VirtualAlloc docs:
 * MEM_RESET "does not guarantee that the range operated on with MEM_RESET will contain zeros. If you
 * want the range to contain zeros, decommit the memory and then recommit it"), and decommitting then
 * recommitting would make a thread reading a view of the range fault (and crash the JVM) in between.
 * So an accessible run is zero-filled and then given to {@code DiscardVirtualMemory}: the pages read
 * zero, since what the call leaves is either the zeros just written or a page the system took back
 * and refilled (for MEM_RESET the same docs say lost data has been "replaced with zeroes"), and
 * their memory may go back to the system without a write to the paging file.
 * {@code DiscardVirtualMemory} fails unless the pages are {@code PAGE_READWRITE}
 * (its docs), so read-only and executable runs are made writable for the moment of the fill and
 * the call (executable ones then get their instruction cache flushed). Inaccessible runs, which no
 * view can read, are decommitted and recommitted {@code PAGE_NOACCESS}: memory back, zero on next
 * access. The fill touches every page once, so a discard briefly makes resident what was not.
 *
 * <h2>Large pages</h2>
 * Windows commits large pages when it reserves them ({@code MEM_RESERVE | MEM_COMMIT |
 * MEM_LARGE_PAGES}, sizes in multiples of {@code GetLargePageMinimum()}, with
 * {@code SeLockMemoryPrivilege} enabled), and "Large-Page Support" (learn.microsoft.com,
 * windows/win32/memory/large-page-support) says "The memory is always read/write and nonpageable".
 * So the large-page path never calls {@code VirtualProtect}: a large-page reservation is rounded up
 * to whole large pages and committed read-write at once; commit has nothing to do; decommit and
 * discard zero-fill (the memory is the process's until release); a protect to anything but
 * {@link Protection#READ_WRITE} is refused before any call, and guard pages, which would be
 * read-write, are refused at reserve (the provider refuses them at build unless best effort is on,
 * and then the shared layer falls back to base pages and reports it). Only the addresses of live
 * large-page reservations are kept, to recognise them in {@link #protect}.
 *
 * <h2>NUMA</h2>
 * Windows only prefers a node; {@link #numaPolicyUnsupported} tells the shared layer which policies
 * it cannot honour (it refuses them, or downgrades them under best effort), so a policy that
 * reaches here names one node, given to {@code VirtualAllocExNuma}.
 *
 * <p>Thread-safe; stateless apart from whether the lock-memory privilege has been enabled and which
 * large-page reservations are live.
 */
final class WindowsVirtualMemory implements VirtualMemory {
    private final Win32Kernel kernel;
    private final LockMemoryPrivilege privilege;
    private final Win32Errors errors;
    /** Live large-page reservations: base address to size, in bytes. */
    private final ConcurrentSkipListMap<Long, Long> largeReservations = new ConcurrentSkipListMap<>();

    private final WindowsProbe.Granularity sizes;
    private final Supplier<Capabilities> capabilities;

    /**
     * Creates the primitives over capabilities already probed (tests).
     *
     * @param kernel the Win32 kernel
     * @param capabilities the probe's result
     */
    WindowsVirtualMemory(Win32Kernel kernel, Capabilities capabilities) {
        this(kernel, new WindowsProbe.Granularity(capabilities.pageBytes(), capabilities.allocationGranularityBytes(),
                capabilities.addressBits()), () -> capabilities);
    }

    /**
     * Creates the primitives; the capabilities are probed when first asked for.
     *
     * @param kernel the Win32 kernel
     * @param sizes the page size, allocation granularity and address width, from {@code GetSystemInfo}
     * @param probe computes the capabilities, called once on first use
     */
    WindowsVirtualMemory(Win32Kernel kernel, WindowsProbe.Granularity sizes, Supplier<Capabilities> probe) {
        this.kernel = kernel;
        this.sizes = sizes;
        this.capabilities = Lazy.of(probe);
        this.errors = new Win32Errors(kernel);
        this.privilege = new LockMemoryPrivilege(kernel, errors);
    }

    /** The reason large pages cannot be guarded or protected, for refusals. */
    static final String LARGE_PAGES_READ_WRITE = "large pages are always read/write (Large-Page Support: \"The memory"
            + " is always read/write and nonpageable\")";

    @Override
    public Capabilities capabilities() {
        return capabilities.get();
    }

    @Override
    public long pageBytes() {
        return sizes.pageBytes();
    }

    @Override
    public long allocationGranularityBytes() {
        return sizes.allocationGranularityBytes();
    }

    @Override
    public int addressBits() {
        return sizes.addressBits();
    }

    @Override
    public Optional<String> protectionUnsupported(Protection protection, Backing backing) {
        return backing.explicitHugePageBytes() != 0 && protection != Protection.READ_WRITE
                ? Optional.of(LARGE_PAGES_READ_WRITE)
                : Optional.empty();
    }

    @Override
    public long reserve(long byteSize, long alignmentBytes, Backing backing) throws SystemCallException {
        int node = preferredNode(backing.numaPolicy());
        long largeBytes = backing.explicitHugePageBytes();
        if (largeBytes != 0) {
            return reserveLargePages(byteSize, largeBytes, node);
        }
        if (alignmentBytes <= allocationGranularityBytes()) {
            return allocate(0, byteSize, MEM_RESERVE, PAGE_NOACCESS, node);
        }
        // Reserve more to find an aligned hole, release it, reserve exactly there; another thread
        // may take the hole in between, so try again a few times.
        for (int attempt = 0; ; attempt++) {
            long probe = allocate(0, byteSize + alignmentBytes, MEM_RESERVE, PAGE_NOACCESS, node);
            release(probe, byteSize + alignmentBytes);
            long aligned = (probe + alignmentBytes - 1) & -alignmentBytes;
            long address = call(aligned, byteSize, MEM_RESERVE, PAGE_NOACCESS, node);
            if (address != 0) {
                return address;
            }
            int error = kernel.getLastError();
            if (error != Win32Abi.ERROR_INVALID_ADDRESS || attempt == 7) {
                throw errors.failure(allocationCall(aligned, byteSize, MEM_RESERVE, PAGE_NOACCESS, node), error);
            }
        }
    }

    private long reserveLargePages(long byteSize, long largeBytes, int node) throws SystemCallException {
        long bytes = (byteSize + largeBytes - 1) / largeBytes * largeBytes;
        int type = MEM_RESERVE | MEM_COMMIT | MEM_LARGE_PAGES;
        privilege.enable();
        long address = allocate(0, bytes, type, PAGE_READWRITE, node);
        largeReservations.put(address, bytes);
        return address;
    }

    /** {@return whether {@code [address, +byteSize)} lies in a live large-page reservation} */
    private boolean inLargePages(long address, long byteSize) {
        var reservation = largeReservations.floorEntry(address);
        return reservation != null && address + byteSize <= reservation.getKey() + reservation.getValue();
    }

    @Override
    public void commit(long address, long byteSize, Backing backing) throws SystemCallException {
        if (backing.explicitHugePageBytes() != 0) {
            // Committed read-write since reserve, and zero: fresh, or zero-filled by decommit.
            return;
        }
        allocate(address, byteSize, MEM_COMMIT, PAGE_READWRITE, -1);
    }

    @Override
    public void protect(long address, long byteSize, Protection protection) throws SystemCallException {
        int protect = Win32Abi.pageProtection(protection);
        if (inLargePages(address, byteSize)) {
            if (protect == PAGE_READWRITE) {
                return;
            }
            throw new SystemCallException("VirtualProtect(" + Units.hex(address) + ", " + byteSize + ", "
                    + Win32Abi.protectionName(protect) + ", &old)", Win32Abi.ERROR_NOT_SUPPORTED,
                    Win32Abi.errorName(Win32Abi.ERROR_NOT_SUPPORTED), "not called: " + LARGE_PAGES_READ_WRITE);
        }
        protect(address, byteSize, protect);
    }

    @Override
    public void decommit(long address, long byteSize, Backing backing) throws SystemCallException {
        if (backing.explicitHugePageBytes() != 0) {
            // Nonpageable and read-write for good: only the contents can go.
            zero(address, byteSize);
            return;
        }
        free(address, byteSize, MEM_DECOMMIT);
    }

    @Override
    public void discard(long address, long byteSize, Backing backing) throws SystemCallException {
        if (backing.explicitHugePageBytes() != 0) {
            zero(address, byteSize);
            return;
        }
        for (Run run : protections(address, byteSize)) {
            long start = run.start();
            long length = run.byteSize();
            int protect = run.protect();
            if (protect == PAGE_NOACCESS) {
                free(start, length, MEM_DECOMMIT);
                allocate(start, length, MEM_COMMIT, PAGE_NOACCESS, -1);
                continue;
            }
            if (protect != PAGE_READWRITE) {
                protect(start, length, PAGE_READWRITE);
            }
            zero(start, length);
            // DiscardVirtualMemory docs: "will fail if the memory protection is not PAGE_READWRITE".
            discardReadWrite(start, length);
            if (protect != PAGE_READWRITE) {
                protect(start, length, protect);
            }
            if (protect == Win32Abi.PAGE_EXECUTE_READ) {
                flushInstructionCache(start, length);
            }
        }
    }

    @Override
    public void release(long address, long byteSize) throws SystemCallException {
        free(address, 0, MEM_RELEASE);
        largeReservations.remove(address);
    }

    @Override
    public void populate(long address, long byteSize) {
        // Windows has no prefault call (PrefetchVirtualMemory only reads into the cache); writing
        // one byte per page makes the memory manager back each page now.
        PageTouch.populate(address, byteSize, pageBytes());
    }

    @Override
    public void lock(long address, long byteSize) throws SystemCallException {
        if (kernel.virtualLock(address, byteSize) == 0) {
            throw errors.failure("VirtualLock(" + Units.hex(address) + ", " + byteSize + ")");
        }
    }

    /**
     * {@return why Windows cannot apply {@code policy}}: {@code VirtualAllocExNuma} takes one preferred
     * node ({@code nndPreferred}), so a node set or interleaving has no equivalent
     */
    @Override
    public Optional<String> numaPolicyUnsupported(NumaPolicy policy) {
        if (policy.nodes().size() <= 1) {
            return Optional.empty();
        }
        return Optional.of("Windows places a reservation on one node (VirtualAllocExNuma nndPreferred);"
                + " it cannot spread pages over a node set or interleave them");
    }

    // ---- platform features ----

    /**
     * {@inheritDoc}
     *
     * @implNote Windows offers {@link ExecutableMemory} ({@link WindowsDualMapping}, a section with two
     *     views) and {@link PageAdvice} ({@link WindowsPageAdvice}). {@link MemoryImages} would be a section
     *     holding the image mapped {@code FILE_MAP_COPY} into a placeholder ({@code MapViewOfFile3} with
     *     {@code MEM_REPLACE_PLACEHOLDER}, reservations made with {@code VirtualAlloc2(MEM_RESERVE_PLACEHOLDER)});
     *     this backend reserves with {@code VirtualAlloc}, which cannot take a view inside, so it answers absent.
     */
    @Override
    @SuppressWarnings("unchecked") // each branch answers for the very type asked for
    public <F extends PlatformFeature> FeatureAnswer<F> feature(Class<F> type) {
        if (type == ExecutableMemory.class) {
            return (FeatureAnswer<F>) FeatureAnswer.of(ExecutableMemory.class,
                    new WindowsDualMapping(kernel, errors, this));
        }
        if (type == PageAdvice.class) {
            return (FeatureAnswer<F>) FeatureAnswer.of(PageAdvice.class, new WindowsPageAdvice(this));
        }
        if (type == MemoryImages.class) {
            return FeatureAnswer.absent(type, "copy-on-write views (MapViewOfFile3 FILE_MAP_COPY) need placeholder"
                    + " reservations (VirtualAlloc2 MEM_RESERVE_PLACEHOLDER), and this backend reserves with"
                    + " VirtualAlloc");
        }
        if (type == PurgeableMemory.class) {
            return FeatureAnswer.absent(type, "Windows has no purgeable allocations; OfferVirtualMemory, the nearest,"
                    + " is not bound");
        }
        if (type == HardwareMemoryTagging.class) {
            return FeatureAnswer.absent(type, "Windows offers user space no memory tagging interface");
        }
        return VirtualMemory.super.feature(type);
    }

    // ---- Windows extras, package-level ----

    /**
     * Gives pages' memory back without zeroing them: {@code DiscardVirtualMemory}, or
     * {@code VirtualAlloc(MEM_RESET)} where that function is missing (before Windows 8.1). The
     * contents are undefined afterwards.
     *
     * @param address the first page; committed {@code PAGE_READWRITE}
     * @param byteSize the length, in bytes
     * @throws SystemCallException if a page of the range is not {@code PAGE_READWRITE} (refused before
     *     the call, which would fail: DiscardVirtualMemory docs), or the kernel refuses
     */
    void discardContents(long address, long byteSize) throws SystemCallException {
        for (Run run : protections(address, byteSize)) {
            // Pages that are not committed are left to the kernel's own error.
            if (run.state() == MEM_COMMIT && run.protect() != PAGE_READWRITE) {
                throw new SystemCallException("DiscardVirtualMemory(" + Units.hex(address) + ", " + byteSize + ")",
                        Win32Abi.ERROR_INVALID_PARAMETER, Win32Abi.errorName(Win32Abi.ERROR_INVALID_PARAMETER),
                        "not called: the pages at " + Units.hex(run.start()) + " are "
                                + Win32Abi.protectionName(run.protect())
                                + ", and DiscardVirtualMemory fails unless the memory protection is PAGE_READWRITE");
            }
        }
        discardReadWrite(address, byteSize);
    }

    private void discardReadWrite(long address, long byteSize) throws SystemCallException {
        int error;
        try {
            error = kernel.discardVirtualMemory(address, byteSize);
        } catch (UnsupportedOperationException missing) {
            allocate(address, byteSize, MEM_RESET, PAGE_NOACCESS, -1);
            return;
        }
        if (error != Win32Abi.ERROR_SUCCESS) {
            throw errors.failure("DiscardVirtualMemory(" + Units.hex(address) + ", " + byteSize + ")", error);
        }
    }

    /**
     * Makes the instruction cache see code just written ({@code FlushInstructionCache}).
     *
     * @param address the first byte written
     * @param byteSize the length, in bytes
     * @throws SystemCallException if the kernel refuses
     */
    void flushInstructionCache(long address, long byteSize) throws SystemCallException {
        if (kernel.flushInstructionCache(kernel.getCurrentProcess(), address, byteSize) == 0) {
            throw errors.failure("FlushInstructionCache(GetCurrentProcess(), " + Units.hex(address) + ", " + byteSize
                    + ")");
        }
    }

    // ---- calls ----

    /** {@return the node to prefer, or -1 for none} */
    static int preferredNode(NumaPolicy policy) {
        return policy.nodes().isEmpty() ? -1 : policy.nodes().first();
    }

    private long allocate(long address, long byteSize, int type, int protect, int node) throws SystemCallException {
        long result = call(address, byteSize, type, protect, node);
        if (result == 0) {
            throw errors.failure(allocationCall(address, byteSize, type, protect, node));
        }
        return result;
    }

    private long call(long address, long byteSize, int type, int protect, int node) {
        return node < 0 ? kernel.virtualAlloc(address, byteSize, type, protect)
                : kernel.virtualAllocExNuma(kernel.getCurrentProcess(), address, byteSize, type, protect, node);
    }

    private static String allocationCall(long address, long byteSize, int type, int protect, int node) {
        String where = (address == 0 ? "NULL" : Units.hex(address)) + ", " + byteSize + ", "
                + Win32Abi.allocationTypeName(type) + ", " + Win32Abi.protectionName(protect);
        return node < 0 ? "VirtualAlloc(" + where + ")" : "VirtualAllocExNuma(GetCurrentProcess(), " + where + ", "
                + node + ")";
    }

    private void free(long address, long byteSize, int type) throws SystemCallException {
        if (kernel.virtualFree(address, byteSize, type) == 0) {
            throw errors.failure("VirtualFree(" + Units.hex(address) + ", " + byteSize + ", "
                    + Win32Abi.allocationTypeName(type) + ")");
        }
    }

    private void protect(long address, long byteSize, int protect) throws SystemCallException {
        try (Arena arena = Arena.ofConfined()) {
            if (kernel.virtualProtect(address, byteSize, protect, arena.allocate(JAVA_INT)) == 0) {
                throw errors.failure("VirtualProtect(" + Units.hex(address) + ", " + byteSize + ", "
                        + Win32Abi.protectionName(protect) + ", &old)");
            }
        }
    }

    /**
     * A run of pages with one protection and state, as {@code VirtualQuery} reports it.
     *
     * @param start the first address
     * @param end one past the last address
     * @param protect the {@code PAGE_*} protection
     * @param state the {@code MEM_*} state
     */
    private record Run(long start, long end, int protect, int state) {
        long byteSize() {
            return end - start;
        }
    }

    /** {@return the runs of {@code [address, +byteSize)}, by VirtualQuery} */
    private List<Run> protections(long address, long byteSize) throws SystemCallException {
        List<Run> runs = new ArrayList<>();
        long end = address + byteSize;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(Win32Abi.MEMORY_BASIC_INFORMATION_BYTES, 8);
            long cursor = address;
            while (cursor < end) {
                if (kernel.virtualQuery(cursor, info, info.byteSize()) == 0) {
                    throw errors.failure("VirtualQuery(" + Units.hex(cursor) + ", &info, " + info.byteSize() + ")");
                }
                long regionEnd = Math.min(end, info.get(JAVA_LONG, 0) + info.get(JAVA_LONG, 24));
                runs.add(new Run(cursor, regionEnd, info.get(JAVA_INT, 36), info.get(JAVA_INT, 32)));
                cursor = regionEnd;
            }
        }
        return runs;
    }

    @SuppressWarnings("restricted") // see the SAFETY line
    private static void zero(long address, long byteSize) {
        // SAFETY: the caller made [address, +byteSize) committed and PAGE_READWRITE just before, or it
        // is large-page memory, committed read-write from reserve to release.
        MemorySegment.ofAddress(address).reinterpret(byteSize).fill((byte) 0);
    }

    Win32Kernel kernel() {
        return kernel;
    }

    @Override
    public String toString() {
        return "WindowsVirtualMemory[pageBytes=" + pageBytes() + ", allocationGranularityBytes="
                + allocationGranularityBytes() + "]";
    }
}
