package dev.pagealloc.testkit.sim;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.pagealloc.testkit.sim.Allocation.Kind;
import dev.pagealloc.testkit.sim.SimulatedAddressSpace.PageState;
import dev.pagealloc.testkit.sim.SimulatedAddressSpace.Run;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The BSD half of a {@link SimulatedMach} kernel: the calls of {@code <sys/mman.h>}
 * ({@code mmap}, {@code madvise}, {@code mlock}), {@code <sys/sysctl.h>} ({@code sysctlbyname}),
 * {@code <libkern/OSCacheControl.h>} ({@code sys_icache_invalidate}) and {@code <errno.h>}, with
 * their C signatures and raw results ({@code -1} plus {@link #errno()}), over the same map as the
 * Mach VM calls and sharing their {@link SimulatedMach#failures()}.
 *
 * <p>Rules enforced, as {@code mmap(2)} and {@code madvise(2)} document them and XNU implements
 * them (apple-oss-distributions/xnu at tag {@code xnu-11417.101.15}; each rule names its source
 * where it is enforced): {@code madvise} accepts advice 0 to 11, refuses a hole with
 * {@code EINVAL} and {@code MADV_FREE_REUSABLE} on pages that are not writable with {@code EPERM};
 * {@code MADV_FREE_REUSABLE} keeps contents until {@link SimulatedMach#simulateMemoryPressure()}
 * reclaims them; on an arm64 kernel outside Rosetta, {@code mmap} refuses writable and executable
 * memory outside {@code MAP_JIT} with {@code EACCES}.
 *
 * <p>Limits: addresses outside the simulated space are {@code ENOMEM} for {@code madvise};
 * {@code mmap} maps anonymous private memory only; {@code sysctlbyname} is read-only.
 *
 * <p>Thread-safe: calls are serialized on the address space; {@code errno} is per thread, as on
 * macOS.
 */
public final class SimulatedBsd {
    /** {@code EPERM} ({@code <sys/errno.h>}). */
    public static final int EPERM = 1;
    /** {@code ENOENT}. */
    public static final int ENOENT = 2;
    /** {@code ENOMEM}. */
    public static final int ENOMEM = 12;
    /** {@code EACCES}. */
    public static final int EACCES = 13;
    /** {@code EINVAL}. */
    public static final int EINVAL = 22;
    /** {@code ENOTSUP}. */
    public static final int ENOTSUP = 45;

    /** {@code MAP_PRIVATE} ({@code bsd/sys/mman.h}). */
    static final int MAP_PRIVATE = 0x2;
    static final int MAP_FIXED = 0x10;
    static final int MAP_JIT = 0x800;
    static final int MAP_ANON = 0x1000;
    static final int MADV_NORMAL = 0;
    /** {@code MADV_RANDOM} ({@code bsd/sys/mman.h}): the entry's behaviour becomes {@code VM_BEHAVIOR_RANDOM}. */
    static final int MADV_RANDOM = 1;
    /** {@code MADV_SEQUENTIAL} ({@code bsd/sys/mman.h}): {@code VM_BEHAVIOR_SEQUENTIAL}. */
    static final int MADV_SEQUENTIAL = 2;
    /**
     * {@code MADV_FREE} ({@code bsd/sys/mman.h}): {@code VM_BEHAVIOR_FREE}, which {@code vm_map_behavior_set}
     * carries out at once as {@code vm_map_msync(VM_SYNC_KILLPAGES | VM_SYNC_CONTIGUOUS)}.
     */
    static final int MADV_FREE = 5;
    static final int MADV_FREE_REUSE = 8;
    static final int MADV_FREE_REUSABLE = 7;
    /** {@code MADV_CAN_REUSE} ({@code bsd/sys/mman.h:222}). */
    static final int MADV_CAN_REUSE = 9;
    /** {@code MADV_PAGEOUT} ({@code bsd/sys/mman.h:223}): internal, {@code ENOTSUP} on release kernels. */
    static final int MADV_PAGEOUT = 10;
    /** {@code MADV_ZERO} ({@code bsd/sys/mman.h:224}), the highest advice XNU knows. */
    static final int MADV_ZERO = 11;

    private final SimulatedMach mach;
    private final SimulatedAddressSpace space;
    /** An x86-64 process under Rosetta 2: its map's pages (4 KiB) are smaller than the hardware's (16 KiB). */
    private final boolean translated;
    private final Map<String, Object> sysctls = new HashMap<>();
    private final ThreadLocal<int[]> errno = ThreadLocal.withInitial(() -> new int[1]);
    private final List<InstructionCacheFlush> icacheInvalidations = new ArrayList<>();

    SimulatedBsd(SimulatedMach mach, SimulatedAddressSpace space, boolean arm64Kernel, boolean translated) {
        this.mach = mach;
        this.space = space;
        this.translated = translated;
        // hw.pagesize is the calling process's map page size (bsd/kern/kern_mib.c:645 sysctl_pagesize),
        // so 4 KiB for a translated process on 16 KiB hardware.
        sysctls.put("hw.pagesize", space.pageBytes());
        sysctls.put("hw.memsize", 16L << 30);
        sysctls.put("hw.logicalcpu", 8);
        sysctls.put("hw.ncpu", 8);
        sysctls.put("kern.osproductversion", "15.0");
        sysctls.put("machdep.cpu.brand_string",
                arm64Kernel ? "Apple M1 (simulated)" : "Intel(R) Core(TM) i7 (simulated)");
        if (arm64Kernel) {
            // hw.optional.arm64 is a plain SYSCTL_INT of arm64_flag, defined only in arm64 kernels
            // and the same for every process (bsd/kern/kern_mib.c:1082, :1149); sysctl.proc_translated
            // exists only with CONFIG_ROSETTA, i.e. on arm64 kernels (bsd/kern/kern_sysctl.c:4157-4169).
            sysctls.put("hw.optional.arm64", 1);
            sysctls.put("sysctl.proc_translated", translated ? 1 : 0);
        }
    }

    /**
     * {@code int madvise(void *addr, size_t len, int advice)}, as {@code bsd/kern/kern_mman.c:1407}
     * ({@code madvise}) and {@code osfmk/vm/vm_map.c:16481} ({@code vm_map_behavior_set}) treat it:
     * advice 0 to 11 ({@code MADV_PAGEOUT}, 10, is {@code ENOTSUP} on release kernels); a range
     * beyond the map is {@code ENOMEM}; a range with a hole is {@code EINVAL}
     * ({@code KERN_INVALID_ADDRESS}); {@code MADV_FREE_REUSABLE} on pages that are neither writable
     * nor {@code MAP_JIT} is {@code EPERM}; {@code MADV_ZERO} needs writable, non-executable,
     * non-{@code MAP_JIT} pages ({@code EPERM}). Under Rosetta {@code MADV_FREE_REUSABLE} and
     * {@code MADV_FREE_REUSE} succeed without effect and {@code MADV_ZERO} is {@code ENOTSUP}.
     *
     * @param address the first byte; page-aligned
     * @param length the length, in bytes
     * @param advice {@code MADV_*}
     * @return 0, or -1 with {@link #errno()}
     */
    public int madvise(long address, long length, int advice) {
        Integer failure = mach.injected("madvise", address, length, advice);
        if (failure != null) {
            return fail(failure);
        }
        // The advice switch of madvise (bsd/kern/kern_mman.c:1424-1471): unknown advice is EINVAL, and
        // MADV_PAGEOUT is ENOTSUP unless the kernel is built with MACH_ASSERT.
        if (address % space.pageBytes() != 0 || advice < MADV_NORMAL || advice > MADV_ZERO) {
            return fail(EINVAL);
        }
        if (advice == MADV_PAGEOUT) {
            return fail(ENOTSUP);
        }
        if (length == 0) {
            return 0;
        }
        synchronized (space) {
            long end = space.roundPage(address + length);
            if (end < address || !space.contains(address, end - address)) {
                return fail(ENOMEM); // outside vm_map_min/max: KERN_NO_SPACE (vm_map.c:16490-16494)
            }
            if (!mach.mapped(address, end)) {
                return fail(EINVAL); // a hole: vm_map_range_check fails, KERN_INVALID_ADDRESS
            }
            List<Run> runs = space.runs(address, end - address);
            switch (advice) {
                case MADV_FREE_REUSABLE, MADV_FREE_REUSE -> {
                    // vm_map_reusable_pages / vm_map_reuse_pages (vm_map.c:16838-16845, :16930-16937):
                    // "XXX TODO4K" - a map page smaller than the hardware's makes them succeed idle.
                    if (translated) {
                        return 0;
                    }
                    // "not writable: can't discard contents" (vm_map.c:16973-16983), MAP_JIT excepted.
                    if (advice == MADV_FREE_REUSABLE && runs.stream().anyMatch(
                            r -> (r.access() & SimulatedAddressSpace.WRITE) == 0 && !mach.usedForJit(r.allocation()))) {
                        return fail(EPERM);
                    }
                    space.markReusable(address, end - address, advice == MADV_FREE_REUSABLE);
                }
                case MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL ->
                    // vm_map_behavior_set: VM_BEHAVIOR_DEFAULT/RANDOM/SEQUENTIAL set entry->behavior on each
                    // clipped entry of the range, a behaviour "that affects future actions" (read-ahead).
                    space.setReadBehaviour(address, end - address,
                            advice == MADV_RANDOM ? "random" : advice == MADV_SEQUENTIAL ? "sequential" : "normal");
                case MADV_FREE ->
                    // vm_map_msync(VM_SYNC_KILLPAGES): each resident page's modified bit is cleared, so the
                    // pageout daemon frees it without writing it; contents stay until then.
                    space.markFreeable(address, end - address);
                case MADV_ZERO -> {
                    if (translated) {
                        return fail(ENOTSUP); // KERN_NO_ACCESS for small map pages (vm_map.c:17284-17290)
                    }
                    // vm_map_zero_entry_preflight (vm_map.c:17223-17234).
                    if (runs.stream().anyMatch(r -> (r.access() & SimulatedAddressSpace.WRITE) == 0
                            || (r.access() & SimulatedAddressSpace.EXECUTE) != 0 || mach.usedForJit(r.allocation()))) {
                        return fail(EPERM);
                    }
                    space.zero(address, end - address);
                }
                default -> {
                    // Behaviours and hints with no effect the simulation can show; MADV_CAN_REUSE
                    // only checks the range (vm_map_can_reuse, vm_map.c:17078).
                }
            }
            return 0;
        }
    }

    /**
     * {@code void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t offset)}, anonymous
     * private mappings only ({@code MAP_ANON | MAP_PRIVATE}, optionally {@code MAP_JIT}).
     *
     * @param address a hint, ignored
     * @param length the length, in bytes
     * @param protection {@code PROT_*} bits
     * @param flags {@code MAP_*} flags
     * @param fd -1
     * @param offset 0
     * @return the address, or -1 ({@code MAP_FAILED}) with {@link #errno()}
     */
    public long mmap(long address, long length, int protection, int flags, int fd, long offset) {
        Integer failure = mach.injected("mmap", address, length, protection, flags, fd, offset);
        if (failure != null) {
            return fail(failure);
        }
        boolean jit = (flags & MAP_JIT) != 0;
        if ((flags & (MAP_ANON | MAP_PRIVATE)) != (MAP_ANON | MAP_PRIVATE) || (flags & MAP_FIXED) != 0 || fd != -1
                || offset != 0 || length <= 0 || (protection & ~SimulatedMach.VM_PROT_ALL) != 0) {
            return fail(EINVAL);
        }
        if (mach.enforcesWriteXorExecute() && (protection & 6) == 6 && !jit) {
            return fail(EACCES);
        }
        long bytes = space.roundPage(length);
        synchronized (space) {
            long at = space.findFree(bytes, space.pageBytes());
            if (at < 0) {
                return fail(ENOMEM);
            }
            space.map(at, bytes, PageState.COMMITTED, protection, SimulatedMach.VM_PROT_ALL,
                    jit ? Kind.MAP_JIT : Kind.MACH_VM_ALLOCATE);
            return at;
        }
    }

    /**
     * {@code int mlock(const void *addr, size_t len)}: wires the pages ({@code mlock} in
     * {@code bsd/kern/kern_mman.c} calls {@code vm_map_wire_kernel}; a failure is {@code ENOMEM}). The
     * pages stay wired until unmapped or replaced ({@code mach_vm_allocate(VM_FLAGS_OVERWRITE)} deletes the
     * old entries, wired or not); {@link SimulatedAddressSpace#wiredBytes()} counts them. XNU's wiring
     * limits ({@code vm.user_wire_limit}) are not simulated.
     *
     * @param address the first byte
     * @param length the length, in bytes
     * @return 0, or -1 with {@link #errno()} ({@code ENOMEM} for unmapped pages)
     */
    public int mlock(long address, long length) {
        Integer failure = mach.injected("mlock", address, length);
        if (failure != null) {
            return fail(failure);
        }
        synchronized (space) {
            long start = space.truncatePage(address);
            long end = space.roundPage(address + length);
            if (!mach.mapped(start, end)) {
                return fail(ENOMEM);
            }
            space.markWired(start, end - start);
            return 0;
        }
    }

    /**
     * {@code void sys_icache_invalidate(void *start, size_t len)}: recorded for tests.
     *
     * @param start the first byte
     * @param length the length, in bytes
     */
    public void sysIcacheInvalidate(long start, long length) {
        synchronized (space) {
            icacheInvalidations.add(new InstructionCacheFlush(start, length));
        }
    }

    /** {@return every {@code sys_icache_invalidate} call so far, oldest first} */
    public List<InstructionCacheFlush> icacheInvalidations() {
        synchronized (space) {
            return List.copyOf(icacheInvalidations);
        }
    }

    /**
     * {@code int sysctlbyname(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen)}, read-only:
     * {@code hw.pagesize}, {@code hw.memsize} (8 bytes), {@code hw.logicalcpu}, {@code hw.ncpu},
     * {@code hw.optional.arm64} (arm64 only), {@code sysctl.proc_translated} (4 bytes), and strings.
     *
     * @param name the variable's name
     * @param oldp where to write the value, or {@code NULL} to ask its size
     * @param oldlenp in: the room at {@code oldp}; out: the value's size
     * @param newp must be {@code NULL}
     * @param newlen must be 0
     * @return 0, or -1 with {@link #errno()}
     */
    public int sysctlbyname(String name, MemorySegment oldp, MemorySegment oldlenp, MemorySegment newp, long newlen) {
        Integer failure = mach.injected("sysctlbyname", name);
        if (failure != null) {
            return fail(failure);
        }
        Object value;
        synchronized (space) {
            value = sysctls.get(name);
        }
        if (value == null) {
            return fail(ENOENT);
        }
        if (newp.address() != 0 || newlen != 0) {
            return fail(EPERM);
        }
        byte[] bytes = switch (value) {
            case Long l -> MemorySegment.ofArray(new long[] {l}).toArray(ValueLayout.JAVA_BYTE);
            case Integer i -> MemorySegment.ofArray(new int[] {i}).toArray(ValueLayout.JAVA_BYTE);
            default -> (value + "\0").getBytes(StandardCharsets.UTF_8);
        };
        if (oldp.address() == 0) {
            oldlenp.set(JAVA_LONG, 0, bytes.length);
            return 0;
        }
        if (oldlenp.get(JAVA_LONG, 0) < bytes.length) {
            return fail(ENOMEM);
        }
        MemorySegment.copy(bytes, 0, oldp, ValueLayout.JAVA_BYTE, 0, bytes.length);
        oldlenp.set(JAVA_LONG, 0, bytes.length);
        return 0;
    }

    /**
     * Sets a {@code sysctl} value the simulation reports (e.g. a machine without superpages).
     *
     * @param name the variable
     * @param value a {@link Long} (8 bytes), an {@link Integer} (4 bytes), a {@link String}, or null to remove it
     */
    public void setSysctl(String name, Object value) {
        synchronized (space) {
            if (value == null) {
                sysctls.remove(name);
            } else {
                sysctls.put(name, value);
            }
        }
    }

    /** {@return the calling thread's {@code errno}, as left by its last failed BSD call} */
    public int errno() {
        return errno.get()[0];
    }

    /**
     * {@code char *strerror(int errnum)}.
     *
     * @param errnum an errno
     * @return its text, as macOS words it
     */
    public String strerror(int errnum) {
        return switch (errnum) {
            case EPERM -> "Operation not permitted";
            case ENOENT -> "No such file or directory";
            case ENOMEM -> "Cannot allocate memory";
            case EACCES -> "Permission denied";
            case EINVAL -> "Invalid argument";
            case ENOTSUP -> "Operation not supported";
            default -> "Unknown error: " + errnum;
        };
    }

    private int fail(int code) {
        errno.get()[0] = code;
        return -1;
    }

    @Override
    public String toString() {
        return "SimulatedBsd[" + mach + "]";
    }
}
