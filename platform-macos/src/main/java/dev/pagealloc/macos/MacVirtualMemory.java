package dev.pagealloc.macos;

import static dev.pagealloc.macos.MachAbi.KERN_SUCCESS;
import static dev.pagealloc.macos.MachAbi.MADV_FREE_REUSABLE;
import static dev.pagealloc.macos.MachAbi.MADV_FREE_REUSE;
import static dev.pagealloc.macos.MachAbi.VM_FLAGS_ANYWHERE;
import static dev.pagealloc.macos.MachAbi.VM_FLAGS_FIXED;
import static dev.pagealloc.macos.MachAbi.VM_FLAGS_OVERWRITE;
import static dev.pagealloc.macos.MachAbi.VM_FLAGS_SUPERPAGE_SIZE_2MB;
import static dev.pagealloc.macos.MachAbi.VM_PROT_EXECUTE;
import static dev.pagealloc.macos.MachAbi.VM_PROT_NONE;
import static dev.pagealloc.macos.MachAbi.VM_PROT_READ;
import static dev.pagealloc.macos.MachAbi.VM_PROT_WRITE;
import static dev.pagealloc.macos.MachAbi.VM_REGION_BASIC_INFO_64;
import static dev.pagealloc.macos.MachAbi.VM_REGION_BASIC_INFO_COUNT_64;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.pagealloc.api.Capabilities;
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
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The page primitives on Mach VM, written against {@link MachKernel} so that they run unchanged on
 * macOS or on a simulated kernel. A reservation is one {@code mach_vm_allocate} made inaccessible
 * with {@code mach_vm_protect(VM_PROT_NONE)}; commit and protect are {@code mach_vm_protect};
 * release is {@code mach_vm_deallocate}. Every allocation carries the VM tag given at construction
 * ({@code VM_MAKE_TAG}), so {@code vmmap} and Instruments attribute it to pagealloc.
 *
 * <h2>Why decommit and discard replace pages</h2>
 * {@code madvise(MADV_FREE_REUSABLE)} gives memory back but leaves the contents undefined: a page
 * keeps its old bytes until the kernel happens to reclaim it. The contract says discarded and
 * recommitted pages read zero, so decommit and discard instead map fresh zero-fill memory over the
 * range in one call ({@code mach_vm_allocate(VM_FLAGS_FIXED | VM_FLAGS_OVERWRITE)}), which frees the
 * old pages at once, then restore the protection ({@code VM_PROT_NONE} for decommit; for discard,
 * each run's protection as {@code mach_vm_region} reported it). The replacement is atomic in the
 * VM map, so a thread reading a view during a discard sees old bytes or zeros, never a fault.
 * {@link #markReusable} and {@link #markReused} offer the cheaper {@code MADV_FREE_REUSABLE} /
 * {@code MADV_FREE_REUSE} pair for callers that do not need zeros ({@link MacPageAdvice}:
 * {@code DONT_NEED} and {@code REUSE}).
 *
 * <p>Superpages ({@link dev.pagealloc.api.HugePages.Explicit} of 2 MiB, where {@link MacProbe}
 * found them): the reservation is base pages; commit and discard map
 * {@code VM_FLAGS_SUPERPAGE_SIZE_2MB} memory over the range (the shared layer makes those ranges
 * multiples of 2 MiB), and decommit maps base pages back, which frees the superpages. The kernel
 * wires superpages when it maps them ({@code vm_map_enter} calls {@code vm_map_wire_nested},
 * {@code osfmk/vm/vm_map.c:3746}), so committed superpages are resident and unpageable whether or
 * not the region asked to be locked, and {@code mach_vm_protect}/{@code mach_vm_deallocate} act on
 * whole superpages ({@code vm_map.c:5765}, {@code :8208}), which the 2 MiB granule keeps true.
 * NUMA policies can only name node 0 here (the probe reports one node), which every page is on.
 *
 * <p>Thread-safe and stateless: the task port, tag and capabilities are fixed at construction.
 */
final class MacVirtualMemory implements VirtualMemory {
    private final MachKernel kernel;
    private final int task;
    private final int tag;
    private final long pageBytes;
    private final Supplier<Capabilities> capabilities;

    /**
     * Creates the primitives over capabilities already probed (tests).
     *
     * @param kernel the Mach kernel
     * @param capabilities the probe's result
     * @param tag the VM tag of every allocation, 1 to 255 ({@link MachAbi#VM_MEMORY_APPLICATION_SPECIFIC_1} by default)
     * @throws IllegalArgumentException if {@code tag} is outside 1 to 255
     */
    MacVirtualMemory(MachKernel kernel, Capabilities capabilities, int tag) {
        this(kernel, capabilities.pageBytes(), () -> capabilities, tag);
    }

    /**
     * Creates the primitives; the capabilities are probed when first asked for.
     *
     * @param kernel the Mach kernel
     * @param pageBytes the page size ({@code hw.pagesize}), in bytes
     * @param probe computes the capabilities, called once on first use
     * @param tag the VM tag of every allocation, 1 to 255 ({@link MachAbi#VM_MEMORY_APPLICATION_SPECIFIC_1} by default)
     * @throws IllegalArgumentException if {@code tag} is outside 1 to 255
     */
    MacVirtualMemory(MachKernel kernel, long pageBytes, Supplier<Capabilities> probe, int tag) {
        if (tag < 1 || tag > 255) {
            throw new IllegalArgumentException("MacVirtualMemory(tag=" + tag + "): a VM tag is 1 to 255");
        }
        this.kernel = kernel;
        this.task = kernel.machTaskSelf();
        this.tag = tag;
        this.pageBytes = pageBytes;
        this.capabilities = Lazy.of(probe);
    }

    @Override
    public Capabilities capabilities() {
        return capabilities.get();
    }

    @Override
    public long pageBytes() {
        return pageBytes;
    }

    @Override
    public long allocationGranularityBytes() {
        return pageBytes;
    }

    /** {@return {@link MacProbe#ADDRESS_BITS}: the same on every Mac, so no probe} */
    @Override
    public int addressBits() {
        return MacProbe.ADDRESS_BITS;
    }

    /** {@return the VM tag of every allocation} */
    int tag() {
        return tag;
    }

    @Override
    public long reserve(long byteSize, long alignmentBytes, Backing backing) throws SystemCallException {
        // Base pages even for superpage regions: guards stay ordinary inaccessible pages, and only
        // committed ranges (multiples of 2 MiB there) become superpages.
        int flags = VM_FLAGS_ANYWHERE | MachAbi.vmMakeTag(tag);
        long aligned = AlignedReservation.reserve(byteSize, alignmentBytes, pageBytes,
                mapBytes -> allocate(0, mapBytes, flags), this::deallocate, this::deallocateAfter);
        try {
            protect(aligned, byteSize, VM_PROT_NONE);
        } catch (SystemCallException e) {
            deallocateAfter(aligned, byteSize, e);
            throw e;
        }
        return aligned;
    }

    @Override
    public void commit(long address, long byteSize, Backing backing) throws SystemCallException {
        if (superpages(backing)) {
            // Fresh superpages, read-write and zero, in place of the reserved base pages.
            allocate(address, byteSize,
                    VM_FLAGS_FIXED | VM_FLAGS_OVERWRITE | VM_FLAGS_SUPERPAGE_SIZE_2MB | MachAbi.vmMakeTag(tag));
            return;
        }
        // Reserved pages are fresh zero-fill memory (reserve and decommit make them so): opening
        // them is all a commit needs.
        protect(address, byteSize, VM_PROT_READ | VM_PROT_WRITE);
    }

    @Override
    public void protect(long address, long byteSize, Protection protection) throws SystemCallException {
        protect(address, byteSize, vmProt(protection));
    }

    /**
     * {@inheritDoc}
     *
     * @implNote Protect first, then replace, then protect the fresh pages: a refusal loses nothing up
     *     to the replacement. {@code mach_vm_protect} checks the whole range before changing any entry
     *     ({@code vm_map_protect}, {@code osfmk/vm/vm_map.c}: a first pass over the entries returns
     *     {@code KERN_INVALID_ADDRESS} or {@code KERN_PROTECTION_FAILURE} with nothing changed), so a
     *     refused first protect leaves the pages and their contents as they were. The replacement with
     *     {@code VM_FLAGS_OVERWRITE} is atomic: the old entries are removed only if the new mapping is
     *     made ({@code bsd/kern/kern_mman.c}, {@code mmap}: "VM_FLAGS_OVERWRITE to let Mach VM know that it
     *     has to deallocate the existing mappings and establish the new ones atomically"), so a refused
     *     replacement leaves the contents too, behind {@code VM_PROT_NONE}. The fresh pages are
     *     read-write ({@code mach_vm_allocate} takes no protection); only a refusal of the last protect,
     *     of pages just mapped, can leave the range zeroed and accessible: the failure is reported, and the
     *     shared layer restores the protections it records. {@code mach_vm_map} with {@code cur_protection}
     *     {@code VM_PROT_NONE} would do the last two steps in one call; it is not bound yet.
     */
    @Override
    public void decommit(long address, long byteSize, Backing backing) throws SystemCallException {
        protect(address, byteSize, VM_PROT_NONE);
        // Base pages, also for superpage regions: decommitted superpages go back to the system.
        replace(address, byteSize, Backing.DEFAULT);
        protect(address, byteSize, VM_PROT_NONE);
    }

    @Override
    public void discard(long address, long byteSize, Backing backing) throws SystemCallException {
        List<Run> runs = protections(address, byteSize);
        replace(address, byteSize, backing);
        for (Run run : runs) {
            if (run.protection() != (VM_PROT_READ | VM_PROT_WRITE)) {
                protect(run.start(), run.end() - run.start(), run.protection());
            }
        }
    }

    @Override
    public void release(long address, long byteSize) throws SystemCallException {
        deallocate(address, byteSize);
    }

    @Override
    public void populate(long address, long byteSize) {
        // macOS has no prefault call; a write per page makes the kernel back each page now.
        PageTouch.populate(address, byteSize, pageBytes);
    }

    @Override
    public void lock(long address, long byteSize) throws SystemCallException {
        if (kernel.mlock(address, byteSize) != 0) {
            throw errno("mlock(" + Units.hex(address) + ", " + byteSize + ")");
        }
    }

    // ---- platform features ----

    /**
     * {@inheritDoc}
     *
     * @implNote macOS offers {@link ExecutableMemory} ({@link MacJitMemory}: {@code mach_vm_remap}),
     *     {@link MemoryImages} ({@link MacMemoryImages}: {@code mach_vm_copy}), {@link PageAdvice}
     *     ({@link MacPageAdvice}) and {@link PurgeableMemory} ({@link MacPurgeableMemory}); no hardware
     *     memory tagging.
     */
    @Override
    @SuppressWarnings("unchecked") // each branch answers for the very type asked for
    public <F extends PlatformFeature> FeatureAnswer<F> feature(Class<F> type) {
        if (type == ExecutableMemory.class) {
            return (FeatureAnswer<F>) FeatureAnswer.of(ExecutableMemory.class, new MacJitMemory(this));
        }
        if (type == MemoryImages.class) {
            return (FeatureAnswer<F>) FeatureAnswer.of(MemoryImages.class, new MacMemoryImages(this));
        }
        if (type == PageAdvice.class) {
            return (FeatureAnswer<F>) FeatureAnswer.of(PageAdvice.class, new MacPageAdvice(this));
        }
        if (type == PurgeableMemory.class) {
            return (FeatureAnswer<F>) FeatureAnswer.of(PurgeableMemory.class, new MacPurgeableMemory(this));
        }
        if (type == HardwareMemoryTagging.class) {
            return FeatureAnswer.absent(type, "macOS offers user space no memory tagging interface (no PROT_MTE,"
                    + " no HWCAP2_MTE)");
        }
        return VirtualMemory.super.feature(type);
    }

    /**
     * {@return fresh read-write zero memory of {@code byteSize} bytes, anywhere, with this allocator's tag}
     *
     * @param byteSize the size, in bytes; a multiple of the page size
     * @throws SystemCallException if the kernel refuses
     */
    long allocateAnywhere(long byteSize) throws SystemCallException {
        return allocate(0, byteSize, VM_FLAGS_ANYWHERE | MachAbi.vmMakeTag(tag));
    }

    /**
     * Makes pages inaccessible or opens them again, by {@code VM_PROT_*} bits.
     *
     * @param address the first page
     * @param byteSize the length, in bytes
     * @param protection {@code VM_PROT_*} bits
     * @throws SystemCallException if the kernel refuses
     */
    void protectBits(long address, long byteSize, int protection) throws SystemCallException {
        protect(address, byteSize, protection);
    }

    /**
     * Maps fresh zero-fill base pages over the range, read-write, in one atomic call.
     *
     * @param address the first page
     * @param byteSize the length, in bytes
     * @throws SystemCallException if the kernel refuses; the old pages are then still there
     */
    void replaceWithZeroPages(long address, long byteSize) throws SystemCallException {
        replace(address, byteSize, Backing.DEFAULT);
    }

    // ---- macOS extras, package-level ----

    /**
     * Copies whole pages with {@code mach_vm_copy}: the kernel maps the source copy-on-write where it
     * can instead of copying bytes.
     *
     * @param sourceAddress the first source page; readable
     * @param destinationAddress the first destination page; writable
     * @param byteSize the length, in bytes; a multiple of the page size
     * @throws IllegalArgumentException if an address or the size is not page-aligned
     * @throws SystemCallException if the kernel refuses (unmapped or protected pages)
     */
    void copyPages(long sourceAddress, long destinationAddress, long byteSize) throws SystemCallException {
        long mask = pageBytes() - 1;
        if (((sourceAddress | destinationAddress | byteSize) & mask) != 0 || byteSize < 0) {
            throw new IllegalArgumentException("copyPages(sourceAddress=" + Units.hex(sourceAddress)
                    + ", destinationAddress="
                    + Units.hex(destinationAddress) + ", byteSize=" + byteSize + "): not multiples of the page size "
                    + pageBytes());
        }
        int kr = kernel.machVmCopy(task, sourceAddress, byteSize, destinationAddress);
        if (kr != KERN_SUCCESS) {
            throw kern("mach_vm_copy(" + Units.hex(sourceAddress) + ", " + byteSize + ", "
                    + Units.hex(destinationAddress) + ")", kr);
        }
    }

    /**
     * Gives pages back without zeroing them ({@code MADV_FREE_REUSABLE}): their contents are
     * undefined until {@link #markReused}; they leave the process footprint at once. Under Rosetta 2
     * (4 KiB map pages on 16 KiB hardware) the kernel accepts the call and does nothing
     * ({@code vm_map_reusable_pages}, "XXX TODO4K").
     *
     * @param address the first page
     * @param byteSize the length, in bytes
     * @throws SystemCallException if the kernel refuses: {@code EPERM} when a page is not writable
     *     ("not writable: can't discard contents", {@code osfmk/vm/vm_map.c}), {@code EINVAL} when the
     *     range has a hole
     */
    void markReusable(long address, long byteSize) throws SystemCallException {
        madvise(address, byteSize, MADV_FREE_REUSABLE, "MADV_FREE_REUSABLE");
    }

    /**
     * Takes pages given back by {@link #markReusable} into use again ({@code MADV_FREE_REUSE}), so
     * that the footprint counts them.
     *
     * @param address the first page
     * @param byteSize the length, in bytes
     * @throws SystemCallException if the kernel refuses
     */
    void markReused(long address, long byteSize) throws SystemCallException {
        madvise(address, byteSize, MADV_FREE_REUSE, "MADV_FREE_REUSE");
    }

    void madvise(long address, long byteSize, int advice, String name) throws SystemCallException {
        if (kernel.madvise(address, byteSize, advice) != 0) {
            throw errno("madvise(" + Units.hex(address) + ", " + byteSize + ", " + name + ")");
        }
    }

    // ---- calls ----

    private static boolean superpages(Backing backing) {
        return backing.explicitHugePageBytes() == MachAbi.SUPERPAGE_2MB_BYTES;
    }

    /** Maps fresh zero-fill memory over {@code [address, +byteSize)}, read-write, in one atomic call. */
    private void replace(long address, long byteSize, Backing backing) throws SystemCallException {
        int flags = VM_FLAGS_FIXED | VM_FLAGS_OVERWRITE | MachAbi.vmMakeTag(tag)
                | (superpages(backing) ? VM_FLAGS_SUPERPAGE_SIZE_2MB : 0);
        allocate(address, byteSize, flags);
    }

    private long allocate(long address, long byteSize, int flags) throws SystemCallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_LONG);
            out.set(JAVA_LONG, 0, address);
            int kr = kernel.machVmAllocate(task, out, byteSize, flags);
            if (kr != KERN_SUCCESS) {
                throw kern("mach_vm_allocate(mach_task_self(), &" + Units.hex(address) + ", " + byteSize + ", "
                        + MachAbi.allocateFlagsName(flags) + ")", kr);
            }
            return out.get(JAVA_LONG, 0);
        }
    }

    /** Gives back what a failed reserve still owns; a refusal is added to {@code failure}, which is reported. */
    private void deallocateAfter(long address, long byteSize, SystemCallException failure) {
        int kr = kernel.machVmDeallocate(task, address, byteSize);
        if (kr != KERN_SUCCESS) {
            failure.addSuppressed(kern("mach_vm_deallocate(mach_task_self(), " + Units.hex(address) + ", " + byteSize
                    + ")", kr));
        }
    }

    private void deallocate(long address, long byteSize) throws SystemCallException {
        int kr = kernel.machVmDeallocate(task, address, byteSize);
        if (kr != KERN_SUCCESS) {
            throw kern("mach_vm_deallocate(mach_task_self(), " + Units.hex(address) + ", " + byteSize + ")", kr);
        }
    }

    private void protect(long address, long byteSize, int protection) throws SystemCallException {
        int kr = kernel.machVmProtect(task, address, byteSize, 0, protection);
        if (kr != KERN_SUCCESS) {
            throw kern("mach_vm_protect(mach_task_self(), " + Units.hex(address) + ", " + byteSize + ", FALSE, "
                    + MachAbi.protectionName(protection) + ")", kr);
        }
    }

    /**
     * A run of pages with one protection, as {@code mach_vm_region} reports it.
     *
     * @param start the first address
     * @param end one past the last address
     * @param protection the {@code VM_PROT_*} bits
     */
    private record Run(long start, long end, int protection) {}

    /** {@return the runs of {@code [address, +byteSize)}, from the kernel's map} */
    private List<Run> protections(long address, long byteSize) throws SystemCallException {
        List<Run> runs = new ArrayList<>();
        long end = address + byteSize;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment where = arena.allocate(JAVA_LONG);
            MemorySegment size = arena.allocate(JAVA_LONG);
            MemorySegment info = arena.allocate(4L * VM_REGION_BASIC_INFO_COUNT_64, 8);
            MemorySegment count = arena.allocate(JAVA_INT);
            MemorySegment objectName = arena.allocate(JAVA_INT);
            long cursor = address;
            while (cursor < end) {
                where.set(JAVA_LONG, 0, cursor);
                count.set(JAVA_INT, 0, VM_REGION_BASIC_INFO_COUNT_64);
                int kr = kernel.machVmRegion(task, where, size, VM_REGION_BASIC_INFO_64, info, count, objectName);
                long start = where.get(JAVA_LONG, 0);
                if (kr != KERN_SUCCESS || start > cursor) {
                    throw kern("mach_vm_region(mach_task_self(), &" + Units.hex(cursor) + ", VM_REGION_BASIC_INFO_64)",
                            kr != KERN_SUCCESS ? kr : MachAbi.KERN_INVALID_ADDRESS);
                }
                long runEnd = Math.min(end, start + size.get(JAVA_LONG, 0));
                runs.add(new Run(cursor, runEnd, info.get(JAVA_INT, 0)));
                cursor = runEnd;
            }
        }
        return runs;
    }

    /** {@return the {@code VM_PROT_*} bits of a protection} */
    static int vmProt(Protection protection) {
        return switch (protection) {
            case NONE -> VM_PROT_NONE;
            case READ -> VM_PROT_READ;
            case READ_WRITE -> VM_PROT_READ | VM_PROT_WRITE;
            case READ_EXECUTE -> VM_PROT_READ | VM_PROT_EXECUTE;
        };
    }

    /** {@return a failed Mach call, its {@code KERN_*} name and {@code mach_error_string} text} */
    SystemCallException kern(String call, int kr) {
        return new SystemCallException(call, kr, MachAbi.kernName(kr), kernel.machErrorString(kr));
    }

    /** {@return a failed BSD call, with the calling thread's {@code errno} in words} */
    SystemCallException errno(String call) {
        int errno = kernel.errno();
        return new SystemCallException(call, errno, MachAbi.errnoName(errno), kernel.strerror(errno));
    }

    /** {@return this task's port} */
    int task() {
        return task;
    }

    MachKernel kernel() {
        return kernel;
    }

    @Override
    public String toString() {
        return "MacVirtualMemory[pageBytes=" + pageBytes() + ", tag=" + tag + "]";
    }
}
