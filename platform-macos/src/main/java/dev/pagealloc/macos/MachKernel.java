package dev.pagealloc.macos;

import java.lang.foreign.MemorySegment;

/**
 * The macOS calls pagealloc makes, one method per C function, named after it, with its raw
 * result: a {@code kern_return_t} for Mach calls, {@code -1} plus {@link #errno()} for BSD calls.
 * Pointer parameters the call writes through are {@link MemorySegment}s the caller allocates
 * (8 bytes for a {@code mach_vm_address_t *}, 4 for an {@code int *}); addresses the kernel only
 * reads are {@code long}s. {@link FfmMachKernel} is the real one; tests adapt a simulated kernel
 * or a mock.
 *
 * <p>{@code pthread_jit_write_protect_np} is deliberately absent: called from Java under HotSpot it
 * crashes the JVM (see {@link MacJitMemory}), so pagealloc does not bind it at all.
 *
 * <p>Each method is the C function of the same name in camel case ({@code memfd_create} is
 * {@code memfdCreate}, {@code mach_vm_allocate} {@code machVmAllocate}, {@code VirtualAlloc}
 * {@code virtualAlloc}), the one naming rule of the three {@code <Os>Kernel} interfaces.
 *
 * @implSpec Implementations are thread-safe; {@link #errno()} is the calling thread's.
 */
interface MachKernel {

    /** {@return the value of the global variable {@code mach_port_t mach_task_self_}: this task's port} */
    int machTaskSelf();

    /**
     * {@code kern_return_t mach_vm_allocate(vm_map_t target, mach_vm_address_t *address,
     * mach_vm_size_t size, int flags)}.
     *
     * @param target the task port
     * @param address in: the address for {@code VM_FLAGS_FIXED}; out: the allocation (8 bytes)
     * @param size the size, in bytes
     * @param flags {@code VM_FLAGS_*}, with {@code VM_MAKE_TAG(tag)}
     * @return the {@code kern_return_t}
     */
    int machVmAllocate(int target, MemorySegment address, long size, int flags);

    /**
     * {@code kern_return_t mach_vm_deallocate(vm_map_t target, mach_vm_address_t address, mach_vm_size_t size)}.
     *
     * @param target the task port
     * @param address the first byte
     * @param size the length, in bytes
     * @return the {@code kern_return_t}
     */
    int machVmDeallocate(int target, long address, long size);

    /**
     * {@code kern_return_t mach_vm_protect(vm_map_t target_task, mach_vm_address_t address, mach_vm_size_t size,
     * boolean_t set_maximum, vm_prot_t new_protection)}.
     *
     * @param task the task port
     * @param address the first byte
     * @param size the length, in bytes
     * @param setMaximum non-zero to set the maximum protection
     * @param newProtection {@code VM_PROT_*} bits
     * @return the {@code kern_return_t}
     */
    int machVmProtect(int task, long address, long size, int setMaximum, int newProtection);

    /**
     * {@code kern_return_t mach_vm_copy(vm_map_t target_task, mach_vm_address_t source_address, mach_vm_size_t size,
     * mach_vm_address_t dest_address)}.
     *
     * @param task the task port
     * @param sourceAddress the first byte to copy
     * @param size the length, in bytes
     * @param destAddress the first byte to copy to
     * @return the {@code kern_return_t}
     */
    int machVmCopy(int task, long sourceAddress, long size, long destAddress);

    /**
     * {@code kern_return_t mach_vm_purgable_control(vm_map_t target_task, mach_vm_address_t address,
     * vm_purgable_t control, int *state)} ({@code vm_purgable_control} on 64-bit addresses).
     *
     * @param task the task port
     * @param address an address in a purgeable allocation
     * @param control {@code VM_PURGABLE_SET_STATE} or {@code VM_PURGABLE_GET_STATE}
     * @param state in: the new state; out: the previous or current state (4 bytes)
     * @return the {@code kern_return_t}
     */
    int machVmPurgableControl(int task, long address, int control, MemorySegment state);

    /**
     * {@code kern_return_t mach_vm_remap(vm_map_t target_task, mach_vm_address_t *target_address,
     * mach_vm_size_t size, mach_vm_offset_t mask, int flags, vm_map_t src_task, mach_vm_address_t src_address,
     * boolean_t copy, vm_prot_t *cur_protection, vm_prot_t *max_protection, vm_inherit_t inheritance)}.
     *
     * @param targetTask the task port
     * @param targetAddress in/out: the new mapping's address (8 bytes)
     * @param size the length, in bytes
     * @param mask alignment mask of the new address
     * @param flags {@code VM_FLAGS_*}
     * @param srcTask the source task port
     * @param srcAddress the first byte to map again
     * @param copy non-zero for a private copy, zero to share the pages
     * @param curProtection out: the new mapping's protection (4 bytes)
     * @param maxProtection out: its maximum protection (4 bytes)
     * @param inheritance {@code VM_INHERIT_*}
     * @return the {@code kern_return_t}
     */
    int machVmRemap(int targetTask, MemorySegment targetAddress, long size, long mask, int flags, int srcTask,
            long srcAddress, int copy, MemorySegment curProtection, MemorySegment maxProtection, int inheritance);

    /**
     * {@code kern_return_t mach_vm_region(vm_map_read_t target_task, mach_vm_address_t *address, mach_vm_size_t *size,
     * vm_region_flavor_t flavor, vm_region_info_t info, mach_msg_type_number_t *infoCnt, mach_port_t *object_name)}.
     *
     * @param task the task port
     * @param address in: where to look from; out: the map entry's start (8 bytes)
     * @param size out: the entry's length, in bytes (8 bytes)
     * @param flavor {@code VM_REGION_BASIC_INFO_64}
     * @param info out: a {@code vm_region_basic_info_64} (36 bytes)
     * @param infoCount in/out: its size in 4-byte units (4 bytes)
     * @param objectName out: a port name (4 bytes)
     * @return the {@code kern_return_t}
     */
    int machVmRegion(int task, MemorySegment address, MemorySegment size, int flavor, MemorySegment info,
            MemorySegment infoCount, MemorySegment objectName);

    /**
     * {@code char *mach_error_string(mach_error_t error_value)}.
     *
     * @param errorValue a {@code kern_return_t}
     * @return its text
     */
    String machErrorString(int errorValue);

    /**
     * {@code int madvise(void *addr, size_t len, int advice)}.
     *
     * @param addr the first byte; page-aligned
     * @param len the length, in bytes
     * @param advice {@code MADV_*}
     * @return 0, or -1 with {@link #errno()}
     */
    int madvise(long addr, long len, int advice);

    /**
     * {@code void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t offset)}.
     *
     * @param addr a hint or 0
     * @param len the length, in bytes
     * @param prot {@code PROT_*}
     * @param flags {@code MAP_*}
     * @param fd a file descriptor or -1
     * @param offset the file offset
     * @return the address, or {@code MAP_FAILED} (-1) with {@link #errno()}
     */
    long mmap(long addr, long len, int prot, int flags, int fd, long offset);

    /**
     * {@code int mlock(const void *addr, size_t len)}.
     *
     * @param addr the first byte
     * @param len the length, in bytes
     * @return 0, or -1 with {@link #errno()}
     */
    int mlock(long addr, long len);

    /**
     * {@code void sys_icache_invalidate(void *start, size_t len)}.
     *
     * @param start the first byte
     * @param len the length, in bytes
     */
    void sysIcacheInvalidate(long start, long len);

    /**
     * {@code int sysctlbyname(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen)}.
     *
     * @param name the variable's name, e.g. {@code hw.pagesize}
     * @param oldp out: the value, or {@link MemorySegment#NULL} to ask its size
     * @param oldlenp in: room at {@code oldp}; out: the value's size (8 bytes)
     * @param newp {@link MemorySegment#NULL}: pagealloc only reads
     * @param newlen 0
     * @return 0, or -1 with {@link #errno()}
     */
    int sysctlbyname(String name, MemorySegment oldp, MemorySegment oldlenp, MemorySegment newp, long newlen);

    /** {@return the {@code errno} the calling thread's last BSD call through this kernel left} */
    int errno();

    /**
     * {@code char *strerror(int errnum)}.
     *
     * @param errnum an errno
     * @return its text
     */
    String strerror(int errnum);
}
