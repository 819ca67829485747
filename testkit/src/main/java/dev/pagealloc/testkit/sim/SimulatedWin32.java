package dev.pagealloc.testkit.sim;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.pagealloc.testkit.FailureInjector;
import dev.pagealloc.testkit.sim.Allocation.Kind;
import dev.pagealloc.testkit.sim.SimulatedAddressSpace.PageState;
import dev.pagealloc.testkit.sim.SimulatedAddressSpace.Run;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * A simulated Windows memory manager: the {@code memoryapi.h} calls a page allocator makes
 * ({@code VirtualAlloc}, {@code VirtualProtect}, {@code VirtualFree}, {@code VirtualQuery},
 * {@code DiscardVirtualMemory}, {@code VirtualLock}, ...), with their C signatures (pointers as
 * {@link MemorySegment}s or {@code long} addresses, {@code BOOL} as {@code int}) and the thread's
 * last error behind {@link #getLastError()} and {@link #formatMessageW}, over a
 * {@link SimulatedAddressSpace} of real memory with 4 KiB pages. Tokens, privileges, processor
 * groups and system information are its {@link #system()} half.
 *
 * <p>Rules enforced, as the Win32 documentation of each call states them: reservations start on
 * the 64 KiB allocation granularity; a protection is exactly one {@code PAGE_*} constant
 * ({@code ERROR_INVALID_PARAMETER} otherwise); {@code MEM_COMMIT} and {@code VirtualProtect} work
 * only inside one reservation, and {@code VirtualProtect} only on committed pages
 * ({@code ERROR_INVALID_ADDRESS} otherwise); {@code MEM_RELEASE} needs size 0
 * ({@code ERROR_INVALID_PARAMETER}) and the reservation's base ({@code ERROR_INVALID_ADDRESS});
 * {@code MEM_DECOMMIT} and {@code MEM_RELEASE} may not be combined; {@code MEM_LARGE_PAGES} needs
 * {@code MEM_RESERVE | MEM_COMMIT}, multiples of {@code GetLargePageMinimum()} and an enabled
 * {@code SeLockMemoryPrivilege} ({@code ERROR_PRIVILEGE_NOT_HELD}, enabled through {@link #system()});
 * {@code VirtualLock} is limited by the minimum working set ({@code ERROR_WORKING_SET_QUOTA}), with no
 * lock count; {@code DiscardVirtualMemory} needs {@code PAGE_READWRITE} pages; {@code MEM_RESET} and
 * {@code DiscardVirtualMemory} keep contents (they are undefined, and in practice often kept) and
 * count as memory given back ({@link #discardedBytes()}). Decommitted and released pages read zero
 * when committed again. Each rule cites its documentation page at the method.
 *
 * <p>Limits: addresses of the host outside the simulated window are free regions to
 * {@code VirtualQuery}; large pages stay read-write ({@code VirtualProtect} to anything else is
 * refused) and are refused by {@code MEM_DECOMMIT} here; {@code PAGE_GUARD} and caching
 * modifiers are accepted and ignored; residency is not tracked.
 *
 * <p>Thread-safe: calls are serialized on the address space; the last error is per thread.
 */
public final class SimulatedWin32 {
    /** {@code ERROR_SUCCESS} ({@code winerror.h}). */
    public static final int ERROR_SUCCESS = 0;
    /** {@code ERROR_ACCESS_DENIED}. */
    public static final int ERROR_ACCESS_DENIED = 5;
    /** {@code ERROR_INVALID_HANDLE}. */
    public static final int ERROR_INVALID_HANDLE = 6;
    /** {@code ERROR_NOT_ENOUGH_MEMORY}. */
    public static final int ERROR_NOT_ENOUGH_MEMORY = 8;
    /** {@code ERROR_BAD_LENGTH}. */
    public static final int ERROR_BAD_LENGTH = 24;
    /** {@code ERROR_INVALID_PARAMETER}. */
    public static final int ERROR_INVALID_PARAMETER = 87;
    /** {@code ERROR_MR_MID_NOT_FOUND}: no text for a message number. */
    public static final int ERROR_MR_MID_NOT_FOUND = 317;
    /** {@code ERROR_INVALID_ADDRESS}. */
    public static final int ERROR_INVALID_ADDRESS = 487;
    /** {@code ERROR_NOACCESS}. */
    public static final int ERROR_NOACCESS = 998;
    /** {@code ERROR_NOT_ALL_ASSIGNED}. */
    public static final int ERROR_NOT_ALL_ASSIGNED = 1300;
    /** {@code ERROR_NO_SUCH_PRIVILEGE}. */
    public static final int ERROR_NO_SUCH_PRIVILEGE = 1313;
    /** {@code ERROR_PRIVILEGE_NOT_HELD}. */
    public static final int ERROR_PRIVILEGE_NOT_HELD = 1314;
    /** {@code ERROR_WORKING_SET_QUOTA}. */
    public static final int ERROR_WORKING_SET_QUOTA = 1453;
    /** {@code ERROR_COMMITMENT_LIMIT}. */
    public static final int ERROR_COMMITMENT_LIMIT = 1455;

    /**
     * The default minimum working set, in pages: "The default size is 50 pages" (sdk-api
     * {@code nf-memoryapi-setprocessworkingsetsize.md}, dwMinimumWorkingSetSize).
     */
    public static final int DEFAULT_MINIMUM_WORKING_SET_PAGES = 50;
    /**
     * The pages of the minimum working set that {@code VirtualLock} cannot use: "The maximum number of
     * pages that a process can lock is equal to the number of pages in its minimum working set minus a
     * small overhead" (sdk-api {@code nf-memoryapi-virtuallock.md}). The page does not size the
     * overhead; the simulation takes 8 pages.
     */
    public static final int LOCK_OVERHEAD_PAGES = 8;

    /** The pseudo-handle {@code GetCurrentProcess()} returns: {@code (HANDLE) -1}. */
    public static final long CURRENT_PROCESS = -1;

    static final int MEM_COMMIT = 0x1000;
    static final int MEM_RESERVE = 0x2000;
    static final int MEM_DECOMMIT = 0x4000;
    static final int MEM_RELEASE = 0x8000;
    static final int MEM_FREE = 0x10000;
    static final int MEM_PRIVATE = 0x20000;
    static final int MEM_RESET = 0x80000;
    static final int MEM_TOP_DOWN = 0x100000;
    static final int MEM_LARGE_PAGES = 0x20000000;
    static final int PAGE_NOACCESS = 0x01;
    static final int PAGE_READONLY = 0x02;
    static final int PAGE_READWRITE = 0x04;
    static final int PAGE_WRITECOPY = 0x08;
    static final int PAGE_EXECUTE = 0x10;
    static final int PAGE_EXECUTE_READ = 0x20;
    static final int PAGE_EXECUTE_READWRITE = 0x40;
    static final int PAGE_EXECUTE_WRITECOPY = 0x80;
    static final int PAGE_MODIFIERS = 0x100 | 0x200 | 0x400;
    static final long GRANULARITY = 64 * 1024;
    static final int MEMORY_BASIC_INFORMATION_BYTES = 48;
    /** {@code lpMinimumApplicationAddress} of x64 Windows. */
    static final long MINIMUM_ADDRESS = 0x10000L;
    /** One past {@code lpMaximumApplicationAddress} (0x7FFFFFFEFFFF) of x64 Windows. */
    static final long MAXIMUM_ADDRESS = 0x7FFFFFFF0000L;

    private final SimulatedAddressSpace space;
    private final long largePageBytes;
    /** The process's minimum working set, in bytes; {@code VirtualLock}'s limit derives from it. */
    private long minimumWorkingSetBytes = DEFAULT_MINIMUM_WORKING_SET_PAGES * 4096L;
    /** The page addresses {@code VirtualLock} locked: a set, as "there is no lock count for virtual pages". */
    private final java.util.TreeSet<Long> lockedPages = new java.util.TreeSet<>();
    private final ThreadLocal<int[]> lastError = ThreadLocal.withInitial(() -> new int[1]);
    private final FailureInjector failures = new FailureInjector();
    private final SimulatedWin32System system;
    private final List<InstructionCacheFlush> flushes = new ArrayList<>();

    /**
     * Creates a Windows x64 simulation: 4 KiB pages, 64 KiB granularity.
     *
     * @param addressSpaceBytes the simulated address space, in bytes; a multiple of 2 MiB
     * @param largePageBytes what {@code GetLargePageMinimum()} returns, in bytes; 0 for none
     * @param highestNumaNode what {@code GetNumaHighestNodeNumber} reports; 0 on a uniform machine
     * @param lockMemoryPrivilegeHeld whether the account holds {@code SeLockMemoryPrivilege}
     */
    public SimulatedWin32(long addressSpaceBytes, long largePageBytes, int highestNumaNode,
            boolean lockMemoryPrivilegeHeld) {
        this.space = new SimulatedAddressSpace(4096, addressSpaceBytes);
        this.largePageBytes = largePageBytes;
        this.system = new SimulatedWin32System(this, space, highestNumaNode, lockMemoryPrivilegeHeld);
    }

    /**
     * {@return the process and system half of this kernel}: tokens and privileges, processor groups,
     * {@code GetSystemInfo} and the NUMA topology, sharing this kernel's last error
     */
    public SimulatedWin32System system() {
        return system;
    }

    /** {@return the page table the calls change} */
    public SimulatedAddressSpace addressSpace() {
        return space;
    }

    /**
     * {@return the failures injected into this kernel}: a rule keyed by a C name (e.g.
     * {@code VirtualAlloc}) makes that call fail with the rule's error as its last error, before it
     * changes anything
     */
    public FailureInjector failures() {
        return failures;
    }

    private boolean injectedFailure(String function, Object... arguments) {
        OptionalInt error = failures.check(function, arguments);
        if (error.isEmpty()) {
            return false;
        }
        setLastError(error.getAsInt());
        return true;
    }

    // ---- memory ----

    /**
     * {@code LPVOID VirtualAlloc(LPVOID lpAddress, SIZE_T dwSize, DWORD flAllocationType, DWORD flProtect)}.
     *
     * @param address where, or 0 to let the system choose
     * @param size the length, in bytes
     * @param allocationType {@code MEM_*}
     * @param protect one {@code PAGE_*} constant
     * @return the base of the reserved or committed range, or 0 with {@link #getLastError()}
     */
    public long virtualAlloc(long address, long size, int allocationType, int protect) {
        return allocate("VirtualAlloc", address, size, allocationType, protect, -1);
    }

    /**
     * {@code LPVOID VirtualAllocExNuma(HANDLE hProcess, LPVOID lpAddress, SIZE_T dwSize, DWORD flAllocationType,
     * DWORD flProtect, DWORD nndPreferred)}; the node is recorded on new reservations.
     *
     * @param process {@link #CURRENT_PROCESS}
     * @param address where, or 0
     * @param size the length, in bytes
     * @param allocationType {@code MEM_*}
     * @param protect one {@code PAGE_*} constant
     * @param preferredNode the NUMA node
     * @return the base, or 0 with {@link #getLastError()}
     */
    public long virtualAllocExNuma(long process, long address, long size, int allocationType, int protect,
            int preferredNode) {
        if (process != CURRENT_PROCESS) {
            return fail(ERROR_INVALID_HANDLE);
        }
        if (preferredNode < 0 || preferredNode > system.highestNumaNode()) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        return allocate("VirtualAllocExNuma", address, size, allocationType, protect, preferredNode);
    }

    private long allocate(String function, long address, long size, int type, int protect, int node) {
        if (injectedFailure(function, address, size, type, protect)) {
            return 0;
        }
        int known = MEM_COMMIT | MEM_RESERVE | MEM_RESET | MEM_TOP_DOWN | MEM_LARGE_PAGES;
        boolean reset = (type & MEM_RESET) != 0;
        boolean reserve = (type & MEM_RESERVE) != 0 || (type & MEM_COMMIT) != 0 && address == 0;
        boolean commit = (type & MEM_COMMIT) != 0;
        boolean large = (type & MEM_LARGE_PAGES) != 0;
        if ((type & ~known) != 0 || size == 0 || (reset ? type != MEM_RESET : !commit && !reserve)
                || large && (type & (MEM_RESERVE | MEM_COMMIT)) != (MEM_RESERVE | MEM_COMMIT)
                || access(protect) < 0 || (protect & 0xFF) == PAGE_WRITECOPY
                || (protect & 0xFF) == PAGE_EXECUTE_WRITECOPY) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        if (large && !system.lockMemoryPrivilegeEnabled()) {
            return fail(ERROR_PRIVILEGE_NOT_HELD);
        }
        if (large && (largePageBytes == 0 || size % largePageBytes != 0 || address % largePageBytes != 0)) {
            return fail(ERROR_INVALID_PARAMETER);
        }
        synchronized (space) {
            long start = reserve ? address & -GRANULARITY : space.truncatePage(address);
            long end = address + size < address ? -1 : space.roundPage(address + size);
            if (address != 0 && (end < 0 || !space.contains(start, end - start))) {
                return fail(ERROR_INVALID_ADDRESS);
            }
            if (reset) {
                if (!inOneAllocation(start, end, true)) {
                    return fail(ERROR_INVALID_ADDRESS);
                }
                space.markReusable(start, end - start, true);
                return start;
            }
            if (!reserve) {
                if (!inOneAllocation(start, end, false)) {
                    return fail(ERROR_INVALID_ADDRESS);
                }
                space.set(start, end - start, PageState.COMMITTED, access(protect));
                return start;
            }
            long bytes = space.roundPage(size);
            if (address == 0) {
                start = space.findFree(bytes, large ? largePageBytes : GRANULARITY);
                if (start < 0) {
                    return fail(ERROR_NOT_ENOUGH_MEMORY);
                }
            } else {
                bytes = end - start;
                if (!space.isFree(start, bytes)) {
                    return fail(ERROR_INVALID_ADDRESS);
                }
            }
            Allocation allocation = space.map(start, bytes, commit ? PageState.COMMITTED : PageState.RESERVED,
                    commit ? access(protect) : 0, 7, Kind.VIRTUAL_ALLOC);
            allocation.allocationProtect = protect;
            allocation.largePages = large;
            allocation.numaNode = node;
            return start;
        }
    }

    /** Whether [start, end) lies in one reservation, with every page committed if {@code committed}. */
    private boolean inOneAllocation(long start, long end, boolean committed) {
        if (end <= start || !space.contains(start, end - start)) {
            return false;
        }
        List<Run> runs = space.runs(start, end - start);
        Allocation owner = runs.getFirst().allocation();
        return owner != null && runs.stream().allMatch(r -> r.allocation() == owner
                && (committed ? r.state() == PageState.COMMITTED : r.state() != PageState.FREE));
    }

    /**
     * {@code BOOL VirtualFree(LPVOID lpAddress, SIZE_T dwSize, DWORD dwFreeType)}.
     *
     * @param address the reservation's base for {@code MEM_RELEASE}; any page for {@code MEM_DECOMMIT}
     * @param size 0 for {@code MEM_RELEASE}; the length for {@code MEM_DECOMMIT} (0: the whole reservation)
     * @param freeType {@code MEM_DECOMMIT} or {@code MEM_RELEASE}
     * @return non-zero on success, 0 with {@link #getLastError()}
     */
    public int virtualFree(long address, long size, int freeType) {
        if (injectedFailure("VirtualFree", address, size, freeType)) {
            return 0;
        }
        if (freeType != MEM_DECOMMIT && freeType != MEM_RELEASE) {
            return (int) fail(ERROR_INVALID_PARAMETER);
        }
        synchronized (space) {
            Allocation allocation = space.allocationAt(address).orElse(null);
            if (freeType == MEM_RELEASE) {
                if (size != 0) {
                    return (int) fail(ERROR_INVALID_PARAMETER);
                }
                if (allocation == null || allocation.base() != address) {
                    return (int) fail(ERROR_INVALID_ADDRESS);
                }
                space.unmap(address, allocation.byteSize());
                unlock(address, address + allocation.byteSize());
                return 1;
            }
            long start = space.truncatePage(address);
            long end;
            if (size == 0) {
                if (allocation == null || allocation.base() != address) {
                    return (int) fail(ERROR_INVALID_ADDRESS);
                }
                end = address + allocation.byteSize();
            } else {
                end = address + size < address ? -1 : space.roundPage(address + size);
            }
            if (!inOneAllocation(start, end, false)) {
                return (int) fail(ERROR_INVALID_ADDRESS);
            }
            if (allocation.largePages) {
                return (int) fail(ERROR_INVALID_PARAMETER);
            }
            space.zero(start, end - start);
            space.set(start, end - start, PageState.RESERVED, 0);
            space.markReusable(start, end - start, false);
            unlock(start, end);
            return 1;
        }
    }

    /**
     * {@code BOOL VirtualProtect(LPVOID lpAddress, SIZE_T dwSize, DWORD flNewProtect, PDWORD lpflOldProtect)}.
     *
     * @param address the first byte
     * @param size the length, in bytes; not 0
     * @param newProtect one {@code PAGE_*} constant
     * @param oldProtect out: the previous protection of the first page; must not be {@code NULL}
     * @return non-zero on success, 0 with {@link #getLastError()}
     */
    public int virtualProtect(long address, long size, int newProtect, MemorySegment oldProtect) {
        if (injectedFailure("VirtualProtect", address, size, newProtect)) {
            return 0;
        }
        if (oldProtect.address() == 0) {
            return (int) fail(ERROR_NOACCESS);
        }
        if (access(newProtect) < 0 || size == 0) {
            return (int) fail(ERROR_INVALID_PARAMETER);
        }
        synchronized (space) {
            long start = space.truncatePage(address);
            long end = address + size < address ? -1 : space.roundPage(address + size);
            if (!inOneAllocation(start, end, true)) {
                return (int) fail(ERROR_INVALID_ADDRESS);
            }
            // "Large-Page Support" (learn.microsoft.com, windows/win32/memory/large-page-support): "The
            // memory is always read/write and nonpageable". No page says what VirtualProtect answers to
            // another protection; the simulation refuses it with ERROR_INVALID_PARAMETER.
            if (space.allocationAt(start).orElseThrow().largePages && (newProtect & 0xFF) != PAGE_READWRITE) {
                return (int) fail(ERROR_INVALID_PARAMETER);
            }
            oldProtect.set(JAVA_INT, 0, protect(space.accessAt(start)));
            space.set(start, end - start, PageState.COMMITTED, access(newProtect));
            return 1;
        }
    }

    /**
     * {@code SIZE_T VirtualQuery(LPCVOID lpAddress, PMEMORY_BASIC_INFORMATION lpBuffer, SIZE_T dwLength)}.
     *
     * @param address any address
     * @param buffer out: a {@code MEMORY_BASIC_INFORMATION} (48 bytes)
     * @param length the room in {@code buffer}, in bytes
     * @return the bytes written (48), or 0 with {@link #getLastError()}
     */
    public long virtualQuery(long address, MemorySegment buffer, long length) {
        if (length < MEMORY_BASIC_INFORMATION_BYTES) {
            return fail(ERROR_BAD_LENGTH);
        }
        synchronized (space) {
            long start = space.truncatePage(address);
            if (start < MINIMUM_ADDRESS || start >= MAXIMUM_ADDRESS) {
                return fail(ERROR_INVALID_PARAMETER);
            }
            if (!space.contains(start, space.pageBytes())) {
                // Outside the simulated window nothing is mapped: a free region up to the window or the top.
                long end = start < space.base() ? space.base() : MAXIMUM_ADDRESS;
                buffer.fill((byte) 0);
                buffer.set(JAVA_LONG, 0, start);
                buffer.set(JAVA_LONG, 24, end - start);
                buffer.set(JAVA_INT, 32, MEM_FREE);
                buffer.set(JAVA_INT, 36, PAGE_NOACCESS);
                return MEMORY_BASIC_INFORMATION_BYTES;
            }
            Run run = space.runs(start, space.base() + space.byteSize() - start).getFirst();
            Allocation a = run.allocation();
            buffer.set(JAVA_LONG, 0, start);
            buffer.set(JAVA_LONG, 8, a == null ? 0 : a.base());
            buffer.set(JAVA_INT, 16, a == null ? 0 : a.allocationProtect());
            buffer.set(JAVA_SHORT, 20, (short) 0);
            buffer.set(JAVA_LONG, 24, run.byteSize());
            buffer.set(JAVA_INT, 32, switch (run.state()) {
                case FREE -> MEM_FREE;
                case RESERVED -> MEM_RESERVE;
                case COMMITTED -> MEM_COMMIT;
            });
            buffer.set(JAVA_INT, 36, switch (run.state()) {
                case FREE -> PAGE_NOACCESS;
                case RESERVED -> 0;
                case COMMITTED -> protect(run.access());
            });
            buffer.set(JAVA_INT, 40, a == null ? 0 : MEM_PRIVATE);
            return MEMORY_BASIC_INFORMATION_BYTES;
        }
    }

    /**
     * {@code DWORD DiscardVirtualMemory(PVOID VirtualAddress, SIZE_T Size)}: contents become
     * undefined (kept here) and the pages' memory may go back to the system ({@link #discardedBytes()}).
     * As its documentation (sdk-api {@code nf-memoryapi-discardvirtualmemory.md}) states: the address is
     * page-aligned and the size a multiple of the page size, and "Calls to DiscardVirtualMemory will
     * fail if the memory protection is not PAGE_READWRITE"; "If DiscardVirtualMemory fails, the
     * contents of the region is not altered". The page does not name the error code of a wrong
     * protection; the simulation answers {@code ERROR_INVALID_PARAMETER}.
     *
     * @param address the first byte; page-aligned
     * @param size the length, in bytes; a multiple of the page size
     * @return {@code ERROR_SUCCESS} or the error
     */
    public int discardVirtualMemory(long address, long size) {
        if (injectedFailure("DiscardVirtualMemory", address, size)) {
            return getLastError();
        }
        synchronized (space) {
            if (size <= 0 || address != space.truncatePage(address) || size % space.pageBytes() != 0) {
                return ERROR_INVALID_PARAMETER;
            }
            long end = address + size < address ? -1 : address + size;
            if (!inOneAllocation(address, end, true)) {
                return ERROR_INVALID_ADDRESS;
            }
            int readWrite = access(PAGE_READWRITE);
            if (space.runs(address, size).stream().anyMatch(r -> r.access() != readWrite)) {
                return ERROR_INVALID_PARAMETER;
            }
            space.markReusable(address, size, true);
            return ERROR_SUCCESS;
        }
    }

    /**
     * {@return the bytes given back by {@code DiscardVirtualMemory} or {@code MEM_RESET} and neither
     * decommitted nor released since}: memory the system may take back without writing it to the
     * paging file. The simulation cannot see a later touch that makes such a page resident again.
     */
    public long discardedBytes() {
        return space.reusableBytes();
    }

    /**
     * {@code BOOL VirtualLock(LPVOID lpAddress, SIZE_T dwSize)}, as sdk-api {@code nf-memoryapi-virtuallock.md}
     * states it: "All pages in the specified region must be committed. Memory protected with
     * PAGE_NOACCESS cannot be locked" ({@code ERROR_NOACCESS}); the pages a process can lock are "its
     * minimum working set minus a small overhead" ({@link #LOCK_OVERHEAD_PAGES};
     * {@code ERROR_WORKING_SET_QUOTA} beyond); "There is no lock count for virtual pages", so locking
     * a locked page again costs nothing. Pages stop being locked when they are decommitted or
     * released; the limit follows {@link #setProcessWorkingSetSize}.
     *
     * @param address the first byte
     * @param size the length, in bytes
     * @return non-zero on success, 0 with {@link #getLastError()}
     */
    public int virtualLock(long address, long size) {
        if (injectedFailure("VirtualLock", address, size)) {
            return 0;
        }
        synchronized (space) {
            long start = space.truncatePage(address);
            long end = space.roundPage(address + size);
            if (!inOneAllocation(start, end, true)
                    || space.runs(start, end - start).stream().anyMatch(r -> r.access() == 0)) {
                return (int) fail(ERROR_NOACCESS);
            }
            long newPages = 0;
            for (long page = start; page < end; page += space.pageBytes()) {
                newPages += lockedPages.contains(page) ? 0 : 1;
            }
            long quotaPages = minimumWorkingSetBytes / space.pageBytes() - LOCK_OVERHEAD_PAGES;
            if (lockedPages.size() + newPages > quotaPages) {
                return (int) fail(ERROR_WORKING_SET_QUOTA);
            }
            for (long page = start; page < end; page += space.pageBytes()) {
                lockedPages.add(page);
            }
            return 1;
        }
    }

    /** Forgets the locks of {@code [start, end)}: decommitted or released pages are no longer in memory. */
    private void unlock(long start, long end) {
        lockedPages.subSet(start, end).clear();
    }

    /** {@return the bytes {@code VirtualLock} holds locked now} */
    public long lockedBytes() {
        synchronized (space) {
            return lockedPages.size() * space.pageBytes();
        }
    }

    /**
     * {@code BOOL SetProcessWorkingSetSize(HANDLE hProcess, SIZE_T dwMinimumWorkingSetSize, SIZE_T
     * dwMaximumWorkingSetSize)}, as sdk-api {@code nf-memoryapi-setprocessworkingsetsize.md} states it:
     * the minimum must be "greater than zero but less than or equal to the maximum working set size"
     * and is raised to 20 pages when below; the maximum must be at least 13 pages
     * ({@code ERROR_INVALID_PARAMETER} otherwise). Only the minimum matters here: it bounds
     * {@link #virtualLock}. The emptying form ({@code (SIZE_T) -1} twice) is not simulated.
     *
     * @param process {@link #CURRENT_PROCESS}
     * @param minimumBytes the minimum working set, in bytes
     * @param maximumBytes the maximum working set, in bytes
     * @return non-zero on success, 0 with {@link #getLastError()}
     */
    public int setProcessWorkingSetSize(long process, long minimumBytes, long maximumBytes) {
        if (process != CURRENT_PROCESS) {
            return (int) fail(ERROR_INVALID_HANDLE);
        }
        long page = space.pageBytes();
        if (minimumBytes <= 0 || minimumBytes > maximumBytes || maximumBytes < 13 * page) {
            return (int) fail(ERROR_INVALID_PARAMETER);
        }
        synchronized (space) {
            minimumWorkingSetBytes = Math.max(minimumBytes, 20 * page);
        }
        return 1;
    }

    /** {@return {@code GetLargePageMinimum()}: the large page size, in bytes, or 0} */
    public long getLargePageMinimum() {
        return largePageBytes;
    }

    /**
     * {@code BOOL FlushInstructionCache(HANDLE hProcess, LPCVOID lpBaseAddress, SIZE_T dwSize)}: recorded.
     *
     * @param process {@link #CURRENT_PROCESS}
     * @param address the first byte
     * @param size the length, in bytes
     * @return non-zero on success
     */
    public int flushInstructionCache(long process, long address, long size) {
        if (process != CURRENT_PROCESS) {
            return (int) fail(ERROR_INVALID_HANDLE);
        }
        synchronized (space) {
            flushes.add(new InstructionCacheFlush(address, size));
        }
        return 1;
    }

    /** {@return every {@code FlushInstructionCache} call so far, oldest first} */
    public List<InstructionCacheFlush> instructionCacheFlushes() {
        synchronized (space) {
            return List.copyOf(flushes);
        }
    }

    /** {@return {@code GetCurrentProcess()}: the pseudo-handle -1} */
    public long getCurrentProcess() {
        return CURRENT_PROCESS;
    }

    // ---- errors ----

    /**
     * {@code DWORD FormatMessageW(DWORD dwFlags, LPCVOID lpSource, DWORD dwMessageId, DWORD dwLanguageId,
     * LPWSTR lpBuffer, DWORD nSize, va_list *Arguments)} with {@code FORMAT_MESSAGE_FROM_SYSTEM}:
     * the system's English text, ending in CR LF as Windows writes it.
     *
     * @param flags {@code FORMAT_MESSAGE_*}
     * @param source {@code NULL}
     * @param messageId the Win32 error
     * @param languageId 0
     * @param buffer out: UTF-16LE text, NUL-terminated
     * @param size the room in {@code buffer}, in UTF-16 units
     * @param arguments {@code NULL}
     * @return the characters written without the NUL, or 0 with {@link #getLastError()}
     */
    public int formatMessageW(int flags, long source, int messageId, int languageId, MemorySegment buffer, int size,
            long arguments) {
        String text = switch (messageId) {
            case ERROR_SUCCESS -> "The operation completed successfully.";
            case ERROR_ACCESS_DENIED -> "Access is denied.";
            case ERROR_INVALID_HANDLE -> "The handle is invalid.";
            case ERROR_NOT_ENOUGH_MEMORY -> "Not enough memory resources are available to process this command.";
            case ERROR_BAD_LENGTH -> "The program issued a command but the command length is incorrect.";
            case ERROR_INVALID_PARAMETER -> "The parameter is incorrect.";
            case ERROR_INVALID_ADDRESS -> "Attempt to access invalid address.";
            case ERROR_NOACCESS -> "Invalid access to memory location.";
            case ERROR_NOT_ALL_ASSIGNED -> "Not all privileges or groups referenced are assigned to the caller.";
            case ERROR_NO_SUCH_PRIVILEGE -> "A specified privilege does not exist.";
            case ERROR_PRIVILEGE_NOT_HELD -> "A required privilege is not held by the client.";
            case ERROR_WORKING_SET_QUOTA -> "Insufficient quota to complete the requested service.";
            case ERROR_COMMITMENT_LIMIT -> "The paging file is too small for this operation to complete.";
            default -> null;
        };
        if (text == null) {
            return (int) fail(ERROR_MR_MID_NOT_FOUND);
        }
        String written = text + "\r\n";
        if (written.length() + 1 > size) {
            return (int) fail(ERROR_INSUFFICIENT_BUFFER);
        }
        buffer.setString(0, written, java.nio.charset.StandardCharsets.UTF_16LE);
        return written.length();
    }

    private static final int ERROR_INSUFFICIENT_BUFFER = 122;

    /** {@return {@code GetLastError()}: the calling thread's last error} */
    public int getLastError() {
        return lastError.get()[0];
    }

    void setLastError(int error) {
        lastError.get()[0] = error;
    }

    long fail(int error) {
        setLastError(error);
        return 0;
    }

    // ---- protections ----

    /** The access bits of a {@code PAGE_*} protection, or -1 if it is not exactly one valid constant. */
    static int access(int protect) {
        int base = protect & ~PAGE_MODIFIERS;
        if ((protect & PAGE_MODIFIERS) != 0 && base == PAGE_NOACCESS) {
            return -1;
        }
        return switch (base) {
            case PAGE_NOACCESS -> 0;
            case PAGE_READONLY -> SimulatedAddressSpace.READ;
            case PAGE_READWRITE, PAGE_WRITECOPY -> SimulatedAddressSpace.READ | SimulatedAddressSpace.WRITE;
            case PAGE_EXECUTE -> SimulatedAddressSpace.EXECUTE;
            case PAGE_EXECUTE_READ -> SimulatedAddressSpace.READ | SimulatedAddressSpace.EXECUTE;
            case PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY -> 7;
            default -> -1;
        };
    }

    /** The {@code PAGE_*} constant of access bits. */
    static int protect(int access) {
        return switch (access) {
            case 0 -> PAGE_NOACCESS;
            case SimulatedAddressSpace.READ -> PAGE_READONLY;
            case SimulatedAddressSpace.READ | SimulatedAddressSpace.WRITE -> PAGE_READWRITE;
            case SimulatedAddressSpace.EXECUTE -> PAGE_EXECUTE;
            case SimulatedAddressSpace.READ | SimulatedAddressSpace.EXECUTE -> PAGE_EXECUTE_READ;
            default -> PAGE_EXECUTE_READWRITE;
        };
    }

    @Override
    public String toString() {
        return "SimulatedWin32[" + space + ", largePageBytes=" + largePageBytes + ", highestNumaNode="
                + system.highestNumaNode() + "]";
    }
}
