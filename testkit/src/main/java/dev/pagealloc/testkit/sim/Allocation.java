package dev.pagealloc.testkit.sim;

import dev.pagealloc.api.Units;

/**
 * One allocation of a simulated kernel: a Mach {@code mach_vm_allocate} or {@code mmap} entry, or
 * a Win32 {@code VirtualAlloc} reservation, with the attributes the kernel keeps for it (VM tag,
 * purgeable state, {@code MAP_JIT}, superpages or large pages, preferred NUMA node). Tests read
 * these to check what the code under test asked the kernel for.
 *
 * <p>Guarded by the monitor of the {@link SimulatedAddressSpace} that holds it.
 */
public final class Allocation {
    /** How the allocation was made. */
    public enum Kind {
        /** {@code mach_vm_allocate}. */
        MACH_VM_ALLOCATE,
        /** {@code mmap} with {@code MAP_JIT}. */
        MAP_JIT,
        /** {@code mach_vm_remap}: an alias of other pages. */
        MACH_VM_REMAP,
        /** {@code VirtualAlloc} / {@code VirtualAllocExNuma}. */
        VIRTUAL_ALLOC
    }

    /** Purgeable state: not purgeable ({@code VM_FLAGS_PURGABLE} was not given). */
    public static final int NOT_PURGEABLE = -1;

    private final long base;
    private final long byteSize;
    private final Kind kind;
    int pages;
    int tag;
    int purgeableState = NOT_PURGEABLE;
    long superpageBytes;
    boolean largePages;
    int numaNode = -1;
    int allocationProtect;

    Allocation(long base, long byteSize, Kind kind) {
        this.base = base;
        this.byteSize = byteSize;
        this.kind = kind;
        this.pages = 0;
    }

    /** {@return the first address: Win32's {@code AllocationBase}} */
    public long base() {
        return base;
    }

    /** {@return the size when made, in bytes} */
    public long byteSize() {
        return byteSize;
    }

    /** {@return how it was made} */
    public Kind kind() {
        return kind;
    }

    /** {@return the Mach VM tag ({@code VM_MAKE_TAG} value, 0 to 255), 0 if none} */
    public int tag() {
        return tag;
    }

    /** {@return the purgeable state ({@code VM_PURGABLE_*}), or {@link #NOT_PURGEABLE}} */
    public int purgeableState() {
        return purgeableState;
    }

    /** {@return the superpage size, in bytes, or 0 for base pages} */
    public long superpageBytes() {
        return superpageBytes;
    }

    /** {@return whether made with {@code MEM_LARGE_PAGES}} */
    public boolean largePages() {
        return largePages;
    }

    /** {@return the preferred NUMA node given to {@code VirtualAllocExNuma}, or -1} */
    public int numaNode() {
        return numaNode;
    }

    /** {@return the protection given when the reservation was made (Win32 {@code AllocationProtect})} */
    public int allocationProtect() {
        return allocationProtect;
    }

    @Override
    public String toString() {
        return kind + "[base=" + Units.hex(base) + ", byteSize=" + byteSize + (tag != 0 ? ", tag=" + tag : "")
                + (purgeableState != NOT_PURGEABLE ? ", purgeable=" + purgeableState : "")
                + (superpageBytes != 0 ? ", superpage=" + superpageBytes : "") + (largePages ? ", largePages" : "")
                + (numaNode >= 0 ? ", numaNode=" + numaNode : "") + "]";
    }
}
