package dev.pagealloc.testkit.sim;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.pagealloc.testkit.FailureInjector;
import dev.pagealloc.testkit.sim.Allocation.Kind;
import dev.pagealloc.testkit.sim.SimulatedAddressSpace.PageState;
import dev.pagealloc.testkit.sim.SimulatedAddressSpace.Run;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A simulated macOS kernel: the Mach VM calls of {@code <mach/mach_vm.h>} a page allocator makes,
 * with their C signatures (pointers as {@link MemorySegment}s, results as raw
 * {@code kern_return_t}), over a {@link SimulatedAddressSpace} of real memory. The BSD calls
 * ({@code mmap}, {@code madvise}, {@code sysctlbyname}, ...) are its {@link #bsd()} half, over the
 * same map.
 *
 * <p>Rules enforced, as {@code <mach/vm_map.h>} and {@code <mach/vm_statistics.h>} document them
 * and XNU implements them (file references are to
 * apple-oss-distributions/xnu at tag {@code xnu-11417.101.15}; each rule names its source where it is
 * enforced): memory from {@code mach_vm_allocate} is zero-filled and read-write with maximum
 * {@code VM_PROT_ALL}; {@code VM_FLAGS_OVERWRITE} needs {@code VM_FLAGS_FIXED}; a protection above the
 * maximum, or (on an arm64 kernel, outside Rosetta) writable and executable outside {@code MAP_JIT},
 * is {@code KERN_PROTECTION_FAILURE}; protecting or querying unmapped pages is
 * {@code KERN_INVALID_ADDRESS}; superpages exist only on an Intel kernel, come in 2 MiB units, are
 * wired at allocation, and {@code mach_vm_protect}/{@code mach_vm_deallocate} round a range that
 * starts in one out to whole superpages; {@code vm_purgable_control} works only on
 * {@code VM_FLAGS_PURGABLE} memory, changes state only where the memory is writable, and an emptied
 * object stays empty; {@code mach_vm_remap} shares or copies any pages of the task, {@code MAP_JIT}
 * pages included, and the alias of {@code MAP_JIT} pages is itself {@code MAP_JIT} memory;
 * {@link #simulateMemoryPressure()} empties volatile purgeable memory and reclaims
 * {@code MADV_FREE_REUSABLE} and {@code MADV_FREE} pages.
 *
 * <p>Three machines: {@link #arm64} (Apple silicon, 16 KiB pages), {@link #x86_64} (an Intel Mac,
 * 4 KiB pages, superpages) and {@link #x86_64UnderRosetta} (an x86-64 process translated by
 * Rosetta 2 on Apple silicon: a 4 KiB map on 16 KiB hardware pages).
 *
 * <p>Limits: addresses outside the simulated space are outside the map
 * ({@code KERN_INVALID_ADDRESS}); residency is not tracked; {@code VM_FLAGS_4GB_CHUNK},
 * {@code VM_FLAGS_PERMANENT} and {@code VM_FLAGS_TPRO} are accepted, as XNU accepts them from user
 * space, but have no effect. A shared {@code mach_vm_remap} ({@code copy = FALSE}) is kept in
 * the page table as XNU keeps it (its own entry, the source's protections, {@link #sharedWith}), but
 * the simulation cannot make two host addresses share memory: the alias starts with a copy of the
 * source's bytes, and later writes through one address do not appear at the other.
 * {@code pthread_jit_write_protect_np} is not simulated: on Apple silicon it switches every
 * {@code MAP_JIT} region of the process for the calling thread, the JVM's own code cache included,
 * which no simulation of pagealloc's allocations can show (see {@code MacJitMemory}).
 *
 * <p>Thread-safe: calls are serialized on the address space.
 */
public final class SimulatedMach {
    /** {@code KERN_SUCCESS} ({@code <mach/kern_return.h>}). */
    public static final int KERN_SUCCESS = 0;
    /** {@code KERN_INVALID_ADDRESS}. */
    public static final int KERN_INVALID_ADDRESS = 1;
    /** {@code KERN_PROTECTION_FAILURE}. */
    public static final int KERN_PROTECTION_FAILURE = 2;
    /** {@code KERN_NO_SPACE}. */
    public static final int KERN_NO_SPACE = 3;
    /** {@code KERN_INVALID_ARGUMENT}. */
    public static final int KERN_INVALID_ARGUMENT = 4;
    /** {@code KERN_FAILURE}. */
    public static final int KERN_FAILURE = 5;
    /** {@code KERN_RESOURCE_SHORTAGE}. */
    public static final int KERN_RESOURCE_SHORTAGE = 6;
    /** {@code KERN_NOT_SUPPORTED}. */
    public static final int KERN_NOT_SUPPORTED = 46;
    /** {@code MACH_SEND_INVALID_DEST} ({@code <mach/message.h>}): a task port that is not ours. */
    public static final int MACH_SEND_INVALID_DEST = 0x10000003;

    /** The task port {@code mach_task_self_} holds in the simulation (any non-zero name does). */
    public static final int TASK_SELF = 0x203;

    static final int VM_PROT_ALL = 7;
    static final int VM_PROT_DEFAULT = 3;
    static final int VM_FLAGS_ANYWHERE = 0x1;
    static final int VM_FLAGS_PURGABLE = 0x2;
    static final int VM_FLAGS_RANDOM_ADDR = 0x8;
    static final int VM_FLAGS_NO_CACHE = 0x10;
    static final int VM_FLAGS_OVERWRITE = 0x4000;
    static final int VM_FLAGS_SUPERPAGE_MASK = 0x70000;
    static final int VM_FLAGS_ALIAS_MASK = 0xFF000000;
    static final int VM_FLAGS_4GB_CHUNK = 0x4;
    static final int VM_FLAGS_PERMANENT = 0x80;
    static final int VM_FLAGS_TPRO = 0x1000;
    /** {@code VM_FLAGS_USER_ALLOCATE} ({@code osfmk/mach/vm_statistics.h:324-334}; FIXED is 0). */
    static final int VM_FLAGS_ALLOCATE = VM_FLAGS_ANYWHERE | VM_FLAGS_PURGABLE | VM_FLAGS_4GB_CHUNK
            | VM_FLAGS_RANDOM_ADDR | VM_FLAGS_NO_CACHE | VM_FLAGS_PERMANENT | VM_FLAGS_OVERWRITE
            | VM_FLAGS_SUPERPAGE_MASK | VM_FLAGS_TPRO | VM_FLAGS_ALIAS_MASK;
    /** {@code SUPERPAGE_SIZE_ANY} ({@code <mach/vm_statistics.h>}): x86-64 rounds it up to 2 MiB. */
    static final int SUPERPAGE_SIZE_ANY = 1;
    /** {@code SUPERPAGE_SIZE_2MB}. */
    static final int SUPERPAGE_SIZE_2MB = 2;
    static final long SUPERPAGE_BYTES = 2L << 20;
    static final int VM_PURGABLE_SET_STATE = 0;
    static final int VM_PURGABLE_GET_STATE = 1;
    static final int VM_PURGABLE_NONVOLATILE = 0;
    static final int VM_PURGABLE_VOLATILE = 1;
    static final int VM_PURGABLE_EMPTY = 2;
    static final int VM_REGION_BASIC_INFO_64 = 9;
    static final int VM_REGION_BASIC_INFO_COUNT_64 = 9;

    private final SimulatedAddressSpace space;
    private final String architecture;
    /** The kernel is arm64 (Apple silicon), whatever the process's architecture. */
    private final boolean arm64Kernel;
    /** An x86-64 process under Rosetta 2: its map's pages (4 KiB) are smaller than the hardware's (16 KiB). */
    private final boolean translated;
    private final FailureInjector failures = new FailureInjector();
    private final SimulatedBsd bsd;
    /** Shared {@code mach_vm_remap} aliases: the alias entry, and the source address of its first page. */
    private final Map<Allocation, Long> aliasSources = new HashMap<>();
    /** Aliases of {@code MAP_JIT} memory: XNU's new entry keeps {@code used_for_jit}. */
    private final Set<Allocation> jitAliases = new HashSet<>();

    /**
     * {@return an Apple silicon Mac: 16 KiB pages, no superpages, {@code MAP_JIT}, W^X enforced by
     * {@code mach_vm_protect}}
     *
     * @param addressSpaceBytes the simulated address space, in bytes; a multiple of 2 MiB
     */
    public static SimulatedMach arm64(long addressSpaceBytes) {
        return new SimulatedMach(new SimulatedAddressSpace(16 * 1024, addressSpaceBytes), "arm64", true);
    }

    /**
     * {@return an Intel Mac: 4 KiB pages, 2 MiB superpages, no W^X rule}
     *
     * @param addressSpaceBytes the simulated address space, in bytes; a multiple of 2 MiB
     */
    // Named as arm64 is, for the architecture's own name (hw.machine, uname -m, os.arch on macOS),
    // which the tests and the probe's architecture() compare against; x8664 would name nothing.
    @SuppressWarnings("checkstyle:MethodName")
    public static SimulatedMach x86_64(long addressSpaceBytes) {
        return new SimulatedMach(new SimulatedAddressSpace(4096, addressSpaceBytes), "x86_64", false);
    }

    /**
     * {@return an x86-64 process translated by Rosetta 2 on Apple silicon: the kernel is arm64
     * ({@code hw.optional.arm64} is 1, as for every process there), {@code sysctl.proc_translated} is
     * 1, the process's map has 4 KiB pages on 16 KiB hardware pages, so there are no superpages, no
     * W^X rule (the map is "exotic"), {@code MADV_FREE_REUSABLE}/{@code MADV_FREE_REUSE} do nothing
     * and {@code MADV_ZERO} is {@code ENOTSUP}}
     *
     * @param addressSpaceBytes the simulated address space, in bytes; a multiple of 2 MiB
     */
    // Named as arm64 is, for the architecture's own name (hw.machine, uname -m, os.arch on macOS),
    // which the tests and the probe's architecture() compare against; x8664 would name nothing.
    @SuppressWarnings("checkstyle:MethodName")
    public static SimulatedMach x86_64UnderRosetta(long addressSpaceBytes) {
        return new SimulatedMach(new SimulatedAddressSpace(4096, addressSpaceBytes), "x86_64", true);
    }

    private SimulatedMach(SimulatedAddressSpace space, String architecture, boolean arm64Kernel) {
        this.space = space;
        this.architecture = architecture;
        this.arm64Kernel = arm64Kernel;
        this.translated = arm64Kernel && !architecture.equals("arm64");
        this.bsd = new SimulatedBsd(this, space, arm64Kernel, translated);
    }

    /** Superpages: SUPERPAGE_SIZE_2MB is handled only under __x86_64__ (osfmk/vm/vm_map.c:2875-2900). */
    private boolean superpages() {
        return !arm64Kernel;
    }

    /**
     * W^X: an arm64 macOS kernel refuses writable-and-executable outside MAP_JIT unless the map is
     * "exotic" (VM_MAP_IS_EXOTIC: map pages smaller than the hardware's, as under Rosetta)
     * (osfmk/vm/vm_map.c:5824-5857 in vm_map_protect, osfmk/vm/vm_map_internal.h:724-734).
     */
    boolean enforcesWriteXorExecute() {
        return arm64Kernel && !translated;
    }

    boolean usedForJit(Allocation allocation) {
        return allocation != null && (allocation.kind() == Kind.MAP_JIT || jitAliases.contains(allocation));
    }

    /**
     * {@return the BSD half of this kernel}: {@code mmap}, {@code madvise}, {@code mlock},
     * {@code sysctlbyname}, {@code sys_icache_invalidate} and {@code errno}, over the same map and
     * sharing its {@link #failures()}
     */
    public SimulatedBsd bsd() {
        return bsd;
    }

    /** {@return the page table the calls change} */
    public SimulatedAddressSpace addressSpace() {
        return space;
    }

    /** {@return the process's architecture: {@code arm64} or {@code x86_64}} */
    public String architecture() {
        return architecture;
    }

    /**
     * {@return the failures injected into this kernel}: a rule keyed by a C name (e.g.
     * {@code mach_vm_allocate}) makes that call return its error, a {@code kern_return_t} for Mach
     * calls or an errno for BSD calls (which then return -1), before it changes anything
     */
    public FailureInjector failures() {
        return failures;
    }

    /** {@return an injected failure of {@code function}, or MACH_SEND_INVALID_DEST for another task, or null} */
    private Integer refused(String function, int task, Object... arguments) {
        Integer failure = injected(function, arguments);
        if (failure != null) {
            return failure;
        }
        return task == TASK_SELF ? null : MACH_SEND_INVALID_DEST;
    }

    Integer injected(String function, Object... arguments) {
        OptionalInt failure = failures.check(function, arguments);
        return failure.isPresent() ? failure.getAsInt() : null;
    }

    // ---- Mach VM ----

    /** {@return the value of the global {@code mach_task_self_}} */
    public int machTaskSelf() {
        return TASK_SELF;
    }

    /**
     * {@code kern_return_t mach_vm_allocate(vm_map_t target, mach_vm_address_t *address,
     * mach_vm_size_t size, int flags)}.
     *
     * @param task the task port
     * @param address in: the address for {@code VM_FLAGS_FIXED}; out: the allocation
     * @param size the size, in bytes; rounded up to pages
     * @param flags {@code VM_FLAGS_*} with the tag in the top 8 bits
     * @return the {@code kern_return_t}
     */
    public int machVmAllocate(int task, MemorySegment address, long size, int flags) {
        Integer refused = refused("mach_vm_allocate", task, task, address.address(), size, flags);
        if (refused != null) {
            return refused;
        }
        if ((flags & ~VM_FLAGS_ALLOCATE) != 0) {
            return KERN_INVALID_ARGUMENT;
        }
        boolean anywhere = (flags & VM_FLAGS_ANYWHERE) != 0;
        int superpage = (flags & VM_FLAGS_SUPERPAGE_MASK) >>> 16;
        if ((flags & VM_FLAGS_OVERWRITE) != 0 && anywhere) {
            return KERN_INVALID_ARGUMENT;
        }
        if (size == 0) {
            address.set(JAVA_LONG, 0, 0L);
            return KERN_SUCCESS;
        }
        long bytes = space.roundPage(size);
        if (bytes < 0) {
            return KERN_INVALID_ARGUMENT;
        }
        long alignment = space.pageBytes();
        if (superpage != 0) {
            // osfmk/vm/vm_map.c:2875-2903 (vm_map_enter): x86-64 only; SUPERPAGE_SIZE_ANY rounds up to
            // 2 MiB, SUPERPAGE_SIZE_2MB needs a 2 MiB multiple; not with a caller's object (purgeable).
            if (superpage == SUPERPAGE_SIZE_ANY && superpages()) {
                bytes = (bytes + SUPERPAGE_BYTES - 1) & -SUPERPAGE_BYTES;
            }
            if (!superpages() || superpage > SUPERPAGE_SIZE_2MB || bytes % SUPERPAGE_BYTES != 0
                    || (flags & VM_FLAGS_PURGABLE) != 0) {
                return KERN_INVALID_ARGUMENT;
            }
            alignment = SUPERPAGE_BYTES;
        }
        synchronized (space) {
            long at;
            if (anywhere) {
                at = space.findFree(bytes, alignment);
                if (at < 0) {
                    return KERN_NO_SPACE;
                }
            } else {
                at = space.truncatePage(address.get(JAVA_LONG, 0));
                if (at % alignment != 0) {
                    return KERN_INVALID_ARGUMENT;
                }
                if (!space.contains(at, bytes)) {
                    return KERN_INVALID_ADDRESS;
                }
                if ((flags & VM_FLAGS_OVERWRITE) == 0 && !space.isFree(at, bytes)) {
                    return KERN_NO_SPACE;
                }
                space.unmap(at, bytes);
            }
            Allocation allocation = space.map(at, bytes, PageState.COMMITTED, VM_PROT_DEFAULT, VM_PROT_ALL,
                    Kind.MACH_VM_ALLOCATE);
            allocation.tag = flags >>> 24;
            allocation.superpageBytes = superpage != 0 ? SUPERPAGE_BYTES : 0;
            if ((flags & VM_FLAGS_PURGABLE) != 0) {
                allocation.purgeableState = VM_PURGABLE_NONVOLATILE;
            }
            address.set(JAVA_LONG, 0, at);
            return KERN_SUCCESS;
        }
    }

    /**
     * {@code kern_return_t mach_vm_deallocate(vm_map_t target, mach_vm_address_t address, mach_vm_size_t size)}:
     * unmaps whatever lies in the page-rounded range; unmapped holes are no error.
     *
     * @param task the task port
     * @param address the first byte
     * @param size the length, in bytes
     * @return the {@code kern_return_t}
     */
    public int machVmDeallocate(int task, long address, long size) {
        Integer refused = refused("mach_vm_deallocate", task, task, address, size);
        if (refused != null) {
            return refused;
        }
        if (size == 0) {
            return KERN_SUCCESS;
        }
        long start = space.truncatePage(address);
        long end = address + size < address ? -1 : space.roundPage(address + size);
        if (end < 0) {
            return KERN_INVALID_ARGUMENT;
        }
        if (!space.contains(start, end - start)) {
            return KERN_INVALID_ADDRESS;
        }
        synchronized (space) {
            // vm_map_delete (osfmk/vm/vm_map.c:8205-8222): a range that starts in a superpage starts at
            // the superpage, and one whose first entry is a superpage ends on a superpage boundary.
            Run first = space.runs(start, end - start).stream().filter(r -> r.state() != PageState.FREE).findFirst()
                    .orElse(null);
            if (first != null && first.allocation().superpageBytes() != 0) {
                if (first.start() == start) {
                    start = start & -SUPERPAGE_BYTES;
                }
                end = Math.min((end + SUPERPAGE_BYTES - 1) & -SUPERPAGE_BYTES, space.base() + space.byteSize());
            }
            space.unmap(start, end - start);
            return KERN_SUCCESS;
        }
    }

    /**
     * {@code kern_return_t mach_vm_protect(vm_map_t task, mach_vm_address_t address, mach_vm_size_t size,
     * boolean_t set_maximum, vm_prot_t new_protection)}.
     *
     * @param task the task port
     * @param address the first byte
     * @param size the length, in bytes
     * @param setMaximum non-zero to set the maximum protection instead
     * @param newProtection {@code VM_PROT_*} bits
     * @return the {@code kern_return_t}
     */
    public int machVmProtect(int task, long address, long size, int setMaximum, int newProtection) {
        Integer refused = refused("mach_vm_protect", task, task, address, size, setMaximum, newProtection);
        if (refused != null) {
            return refused;
        }
        if ((newProtection & ~VM_PROT_ALL) != 0) {
            return KERN_INVALID_ARGUMENT;
        }
        if (size == 0) {
            return KERN_SUCCESS;
        }
        long start = space.truncatePage(address);
        long end = space.roundPage(address + size);
        synchronized (space) {
            if (!mapped(start, end)) {
                return KERN_INVALID_ADDRESS;
            }
            // vm_map_protect (osfmk/vm/vm_map.c:5765-5773): a range starting in a superpage covers
            // whole superpages.
            if (space.allocationAt(start).orElseThrow().superpageBytes() != 0) {
                start = start & -SUPERPAGE_BYTES;
                end = (end + SUPERPAGE_BYTES - 1) & -SUPERPAGE_BYTES;
                if (!mapped(start, end)) {
                    return KERN_INVALID_ADDRESS;
                }
            }
            for (Run run : space.runs(start, end - start)) {
                int maximum = space.maximumAccessAt(run.start());
                if ((newProtection & ~maximum) != 0) {
                    return KERN_PROTECTION_FAILURE;
                }
                boolean writableExecutable = (newProtection & 6) == 6;
                if (setMaximum == 0 && enforcesWriteXorExecute() && writableExecutable
                        && !usedForJit(run.allocation())) {
                    return KERN_PROTECTION_FAILURE;
                }
            }
            if (setMaximum != 0) {
                space.setMaximum(start, end - start, newProtection);
            } else {
                space.set(start, end - start, PageState.COMMITTED, newProtection);
            }
            return KERN_SUCCESS;
        }
    }

    boolean mapped(long start, long end) {
        if (end < start || !space.contains(start, end - start)) {
            return false;
        }
        return space.runs(start, end - start).stream().noneMatch(r -> r.state() == PageState.FREE);
    }

    /**
     * {@code kern_return_t mach_vm_copy(vm_map_t task, mach_vm_address_t source_address, mach_vm_size_t size,
     * mach_vm_address_t dest_address)}: copies bytes; the source must be readable, the destination writable.
     *
     * @param task the task port
     * @param sourceAddress the first byte to copy
     * @param size the length, in bytes
     * @param destAddress where to copy to
     * @return the {@code kern_return_t}
     */
    public int machVmCopy(int task, long sourceAddress, long size, long destAddress) {
        Integer refused = refused("mach_vm_copy", task, task, sourceAddress, size, destAddress);
        if (refused != null) {
            return refused;
        }
        if (size == 0) {
            return KERN_SUCCESS;
        }
        synchronized (space) {
            long srcStart = space.truncatePage(sourceAddress);
            long srcEnd = space.roundPage(sourceAddress + size);
            long dstStart = space.truncatePage(destAddress);
            long dstEnd = space.roundPage(destAddress + size);
            if (!mapped(srcStart, srcEnd) || !mapped(dstStart, dstEnd)) {
                return KERN_INVALID_ADDRESS;
            }
            if (!allHave(srcStart, srcEnd, SimulatedAddressSpace.READ)
                    || !allHave(dstStart, dstEnd, SimulatedAddressSpace.WRITE)) {
                return KERN_PROTECTION_FAILURE;
            }
            MemorySegment.copy(space.bytes(sourceAddress, size), 0, space.bytes(destAddress, size), 0, size);
            space.markDirty(dstStart, dstEnd - dstStart);
            return KERN_SUCCESS;
        }
    }

    private boolean allHave(long start, long end, int bit) {
        return space.runs(start, end - start).stream().allMatch(r -> (r.access() & bit) != 0);
    }

    /**
     * {@code kern_return_t mach_vm_purgable_control(vm_map_t task, mach_vm_address_t address,
     * vm_purgable_t control, int *state)}.
     *
     * @param task the task port
     * @param address an address inside a purgeable allocation
     * @param control {@code VM_PURGABLE_SET_STATE} (0) or {@code VM_PURGABLE_GET_STATE} (1)
     * @param state in: the new state for SET; out: the previous (SET) or current (GET) state
     * @return the {@code kern_return_t}
     */
    public int machVmPurgableControl(int task, long address, int control, MemorySegment state) {
        Integer refused = refused("mach_vm_purgable_control", task, task, address, control);
        if (refused != null) {
            return refused;
        }
        // The order of the checks is vm_map_purgable_control's (osfmk/vm/vm_map.c:19978-20045).
        if (control != VM_PURGABLE_SET_STATE && control != VM_PURGABLE_GET_STATE) {
            return KERN_INVALID_ARGUMENT;
        }
        int wanted = state.get(JAVA_INT, 0);
        if (control == VM_PURGABLE_SET_STATE && (wanted < VM_PURGABLE_NONVOLATILE || wanted > VM_PURGABLE_EMPTY)) {
            return KERN_INVALID_ARGUMENT;
        }
        synchronized (space) {
            if (!space.contains(address, 1) || space.stateAt(address) == PageState.FREE) {
                return KERN_INVALID_ADDRESS;
            }
            // "Can't apply purgable controls to something you can't write" (vm_map.c:20029-20037),
            // checked before whether the object is purgeable at all.
            if (control != VM_PURGABLE_GET_STATE && (space.accessAt(address) & SimulatedAddressSpace.WRITE) == 0) {
                return KERN_PROTECTION_FAILURE;
            }
            Allocation allocation = space.allocationAt(address).orElseThrow();
            if (allocation.purgeableState == Allocation.NOT_PURGEABLE) {
                return KERN_INVALID_ARGUMENT;
            }
            int previous = allocation.purgeableState;
            if (control == VM_PURGABLE_GET_STATE) {
                state.set(JAVA_INT, 0, previous);
                return KERN_SUCCESS;
            }
            if (wanted == VM_PURGABLE_EMPTY) {
                empty(allocation);
            } else if (wanted == VM_PURGABLE_VOLATILE && previous == VM_PURGABLE_EMPTY) {
                // "what's been emptied must stay empty" (osfmk/vm/vm_object.c:5890-5894).
                allocation.purgeableState = VM_PURGABLE_EMPTY;
            } else {
                allocation.purgeableState = wanted;
            }
            state.set(JAVA_INT, 0, previous);
            return KERN_SUCCESS;
        }
    }

    private void empty(Allocation allocation) {
        long start = allocation.base();
        long end = start + allocation.byteSize();
        for (Run run : space.runs(start, end - start)) {
            if (run.allocation() == allocation) {
                space.markDirty(run.start(), run.byteSize());
                space.zero(run.start(), run.byteSize());
            }
        }
        allocation.purgeableState = VM_PURGABLE_EMPTY;
    }

    /**
     * What memory pressure does: empties every volatile purgeable allocation (its pages read zero
     * and its state becomes {@code VM_PURGABLE_EMPTY}) and reclaims every
     * {@code MADV_FREE_REUSABLE} or {@code MADV_FREE} page (it reads zero).
     */
    public void simulateMemoryPressure() {
        synchronized (space) {
            for (Allocation allocation : space.allocations()) {
                if (allocation.purgeableState == VM_PURGABLE_VOLATILE) {
                    empty(allocation);
                }
            }
            space.reclaimReusable();
        }
    }

    /**
     * {@code kern_return_t mach_vm_remap(vm_map_t target_task, mach_vm_address_t *target_address,
     * mach_vm_size_t size, mach_vm_offset_t mask, int flags, vm_map_t src_task, mach_vm_address_t src_address,
     * boolean_t copy, vm_prot_t *cur_protection, vm_prot_t *max_protection, vm_inherit_t inheritance)}:
     * maps the source pages a second time, shared ({@code copy = FALSE}) or as a private copy. The new
     * entry keeps each source page's protection and maximum, and {@code *cur_protection} and
     * {@code *max_protection} return what every page allows. {@code MAP_JIT} pages may be remapped
     * within the task (see the class comment for what sharing means here).
     *
     * @param targetTask the task port
     * @param targetAddress in: the address for a fixed mapping; out: the new mapping
     * @param size the length, in bytes
     * @param mask alignment mask of the new address
     * @param flags {@code VM_FLAGS_ANYWHERE}; no tag
     * @param srcTask the source task port
     * @param srcAddress the first source byte
     * @param copy non-zero to copy instead of sharing
     * @param curProtection out: the new mapping's protection
     * @param maxProtection out: the new mapping's maximum protection
     * @param inheritance {@code VM_INHERIT_*}
     * @return the {@code kern_return_t}
     */
    public int machVmRemap(int targetTask, MemorySegment targetAddress, long size, long mask, int flags, int srcTask,
            long srcAddress, int copy, MemorySegment curProtection, MemorySegment maxProtection, int inheritance) {
        Integer failure = injected("mach_vm_remap", targetTask, targetAddress.address(), size, mask, flags, srcTask,
                srcAddress, copy);
        if (failure != null) {
            return failure;
        }
        if (targetTask != TASK_SELF || srcTask != TASK_SELF) {
            return MACH_SEND_INVALID_DEST;
        }
        // VM_FLAGS_USER_REMAP: FIXED, ANYWHERE, RANDOM_ADDR, OVERWRITE, RETURN_DATA_ADDR, RESILIENT_*; no tag
        // (osfmk/mach/vm_statistics.h:340, checked in osfmk/vm/vm_user.c:931 mach_vm_remap_external).
        int userRemap = VM_FLAGS_ANYWHERE | VM_FLAGS_RANDOM_ADDR | VM_FLAGS_OVERWRITE | 0x100000 | 0x20 | 0x40;
        if ((flags & ~userRemap) != 0 || (flags & VM_FLAGS_ANYWHERE) == 0 || size == 0) {
            return KERN_INVALID_ARGUMENT;
        }
        synchronized (space) {
            long start = space.truncatePage(srcAddress);
            long end = space.roundPage(srcAddress + size);
            if (!mapped(start, end)) {
                return KERN_INVALID_ADDRESS;
            }
            // No MAP_JIT refusal: vm_map_remap_extract (osfmk/vm/vm_map.c:18273-18287) refuses sharing a
            // used_for_jit entry only across maps whose policy forbids it; within the same map
            // (same_map, set at :19416) it is allowed, and copies are allowed where
            // VM_MAP_POLICY_ALLOW_JIT_COPY holds (every map that is not "alien", vm_map_internal.h:812).
            List<Run> runs = space.runs(start, end - start);
            long at = space.findFree(end - start, Math.max(space.pageBytes(), mask + 1));
            if (at < 0) {
                return KERN_NO_SPACE;
            }
            boolean jit = runs.stream().anyMatch(r -> usedForJit(r.allocation()));
            Allocation alias = space.map(at, end - start, PageState.COMMITTED, VM_PROT_DEFAULT, VM_PROT_ALL,
                    Kind.MACH_VM_REMAP);
            int current = VM_PROT_ALL;
            int maximum = VM_PROT_ALL;
            for (Run run : runs) {
                int runMaximum = space.maximumAccessAt(run.start());
                long offset = run.start() - start;
                space.setMaximum(at + offset, run.byteSize(), runMaximum);
                space.set(at + offset, run.byteSize(), PageState.COMMITTED, run.access());
                current &= run.access();
                maximum &= runMaximum;
            }
            MemorySegment.copy(space.bytes(start, end - start), 0, space.bytes(at, end - start), 0, end - start);
            space.markDirty(at, end - start);
            if (copy == 0) {
                aliasSources.put(alias, start);
                if (jit) {
                    jitAliases.add(alias);
                }
            }
            targetAddress.set(JAVA_LONG, 0, at + (srcAddress - start));
            curProtection.set(JAVA_INT, 0, current);
            maxProtection.set(JAVA_INT, 0, maximum);
            return KERN_SUCCESS;
        }
    }

    /**
     * {@return the source address whose page the page at {@code address} shares through a
     * {@code mach_vm_remap(copy = FALSE)}, or empty if it is not such an alias}
     *
     * @param address an address in the simulated space
     */
    public OptionalLong sharedWith(long address) {
        synchronized (space) {
            Allocation alias = space.allocationAt(address).orElse(null);
            Long source = alias == null ? null : aliasSources.get(alias);
            return source == null ? OptionalLong.empty()
                    : OptionalLong.of(source + (space.truncatePage(address) - alias.base()));
        }
    }

    /**
     * {@return the wired bytes of the simulated task: every page of a superpage allocation, which
     * {@code vm_map_enter} wires at once (osfmk/vm/vm_map.c:3746-3751) and which stays wired
     * ({@code vm_map_unwire} refuses superpages, :7295-7299)}
     */
    public long wiredBytes() {
        synchronized (space) {
            long bytes = 0;
            for (Run run : space.runs(space.base(), space.byteSize())) {
                if (run.state() == PageState.COMMITTED && run.allocation().superpageBytes() != 0) {
                    bytes += run.byteSize();
                }
            }
            return bytes;
        }
    }

    /**
     * {@code kern_return_t mach_vm_region(vm_map_read_t task, mach_vm_address_t *address, mach_vm_size_t *size,
     * vm_region_flavor_t flavor, vm_region_info_t info, mach_msg_type_number_t *infoCnt, mach_port_t *object_name)}
     * with {@code VM_REGION_BASIC_INFO_64}: the first map entry at or above {@code *address}.
     *
     * @param task the task port
     * @param address in: where to look from; out: the entry's start
     * @param size out: the entry's length, in bytes
     * @param flavor {@code VM_REGION_BASIC_INFO_64} (9)
     * @param info out: a {@code vm_region_basic_info_64} (36 bytes, 4-byte packed)
     * @param infoCount in: the room in {@code info}, in 4-byte units; out: what was written
     * @param objectName out: always {@code MACH_PORT_NULL}
     * @return the {@code kern_return_t}
     */
    public int machVmRegion(int task, MemorySegment address, MemorySegment size, int flavor, MemorySegment info,
            MemorySegment infoCount, MemorySegment objectName) {
        if (task != TASK_SELF) {
            return MACH_SEND_INVALID_DEST;
        }
        if (flavor != VM_REGION_BASIC_INFO_64 || infoCount.get(JAVA_INT, 0) < VM_REGION_BASIC_INFO_COUNT_64) {
            return KERN_INVALID_ARGUMENT;
        }
        synchronized (space) {
            long from = Math.max(space.truncatePage(address.get(JAVA_LONG, 0)), space.base());
            long limit = space.base() + space.byteSize();
            if (from >= limit) {
                return KERN_INVALID_ADDRESS;
            }
            for (Run run : space.runs(from, limit - from)) {
                if (run.state() == PageState.FREE) {
                    continue;
                }
                address.set(JAVA_LONG, 0, run.start());
                size.set(JAVA_LONG, 0, run.byteSize());
                info.set(JAVA_INT, 0, run.access());
                info.set(JAVA_INT, 4, space.maximumAccessAt(run.start()));
                info.set(JAVA_INT, 8, 1);
                info.set(JAVA_INT, 12, 0);
                info.set(JAVA_INT, 16, 0);
                info.set(JAVA_LONG.withByteAlignment(4), 20, run.start() - run.allocation().base());
                info.set(JAVA_INT, 28, 0);
                info.set(JAVA_SHORT, 32, (short) 0);
                infoCount.set(JAVA_INT, 0, VM_REGION_BASIC_INFO_COUNT_64);
                objectName.set(JAVA_INT, 0, 0);
                return KERN_SUCCESS;
            }
            return KERN_INVALID_ADDRESS;
        }
    }

    /**
     * {@code char *mach_error_string(mach_error_t error_value)}.
     *
     * @param code a {@code kern_return_t}
     * @return its text, as macOS words it
     */
    public String machErrorString(int code) {
        return switch (code) {
            case KERN_SUCCESS -> "(os/kern) successful";
            case KERN_INVALID_ADDRESS -> "(os/kern) invalid address";
            case KERN_PROTECTION_FAILURE -> "(os/kern) protection failure";
            case KERN_NO_SPACE -> "(os/kern) no space available";
            case KERN_INVALID_ARGUMENT -> "(os/kern) invalid argument";
            case KERN_FAILURE -> "(os/kern) failure";
            case KERN_RESOURCE_SHORTAGE -> "(os/kern) resource shortage";
            case KERN_NOT_SUPPORTED -> "(os/kern) not supported";
            case MACH_SEND_INVALID_DEST -> "(ipc/send) invalid destination port";
            default -> "unknown error code";
        };
    }

    @Override
    public String toString() {
        return "SimulatedMach[" + architecture + ", " + space + "]";
    }
}
