package dev.pagealloc.macos;

import static dev.pagealloc.macos.MachAbi.KERN_SUCCESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.pagealloc.api.Units;
import dev.pagealloc.spi.SystemCallException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * What the {@code jit} layer needs on macOS. On Apple silicon, code pages come from
 * {@code mmap(MAP_JIT)}: such a mapping is readable, writable and executable, but each thread sees
 * it either writable or executable, switched with {@code pthread_jit_write_protect_np}, so W^X holds
 * per thread (the hardware enforces it). Where that switch does not exist (Intel Macs) a
 * {@code MAP_JIT} mapping would be writable and executable for every thread at once, so it is
 * refused and code uses protection flips ({@link MacVirtualMemory#protect}) instead. After writing
 * code, {@code sys_icache_invalidate} makes the instruction cache see it (a no-op on x86-64).
 * {@code MAP_JIT} pages cannot be mapped twice: {@link #mapAlias} is for ordinary pages only.
 *
 * <p>Package-level until the {@code jit} layer's API asks for it (see the module's report).
 *
 * <p>Thread-safe; the write/execute switch is per thread by design.
 */
final class MacJitMemory {
    private final MacVirtualMemory memory;

    /**
     * Creates JIT support over {@code memory}'s kernel and task.
     *
     * @param memory the primitives
     */
    MacJitMemory(MacVirtualMemory memory) {
        this.memory = memory;
    }

    /** {@return whether {@code MAP_JIT} memory with a per-thread write/execute switch is available} */
    boolean perThreadToggle() {
        return memory.kernel().pthreadJitWriteProtectSupportedNp() != 0;
    }

    /**
     * Maps {@code MAP_JIT} memory, zero, and leaves the calling thread's view of it writable.
     *
     * @param byteSize the size, in bytes; a positive multiple of the page size
     * @return its address
     * @throws IllegalArgumentException if {@code byteSize} is not a positive multiple of the page size
     * @throws UnsupportedOperationException if this Mac has no per-thread switch (see the class comment)
     * @throws SystemCallException if the kernel refuses (e.g. {@code EPERM} without the
     *     {@code com.apple.security.cs.allow-jit} entitlement)
     */
    long allocate(long byteSize) throws SystemCallException {
        if (byteSize <= 0 || byteSize % memory.pageBytes() != 0) {
            throw new IllegalArgumentException("allocateJit(byteSize=" + byteSize + "): not a positive multiple of the page size "
                    + memory.pageBytes());
        }
        if (!perThreadToggle()) {
            throw new UnsupportedOperationException("allocateJit(byteSize=" + byteSize + "): pthread_jit_write_protect_supported_np() "
                    + "is 0 here, so a MAP_JIT mapping would be writable and executable for every thread at once; use "
                    + "protection flips (READ_WRITE, then READ_EXECUTE)");
        }
        // The one mapping pagealloc makes with all three protection bits: Apple requires them for
        // MAP_JIT, and the per-thread switch checked above keeps each thread's view W^X.
        int prot = MachAbi.PROT_READ | MachAbi.PROT_WRITE | MachAbi.PROT_EXEC;
        int flags = MachAbi.MAP_PRIVATE | MachAbi.MAP_ANON | MachAbi.MAP_JIT;
        long address = memory.kernel().mmap(0, byteSize, prot, flags, -1, 0);
        if (address == MachAbi.MAP_FAILED) {
            throw memory.errno("mmap(NULL, " + byteSize + ", " + MachAbi.protName(prot) + ", "
                    + MachAbi.mapFlagsName(flags) + ", -1, 0)");
        }
        setWritable(true);
        return address;
    }

    /**
     * Switches the calling thread's view of every {@code MAP_JIT} page: writable and not executable,
     * or executable and not writable.
     *
     * @param writable whether the thread is about to write code
     */
    void setWritable(boolean writable) {
        memory.kernel().pthreadJitWriteProtectNp(writable ? 0 : 1);
    }

    /**
     * Makes the instruction cache see code just written ({@code sys_icache_invalidate}).
     *
     * @param address the first byte written
     * @param byteSize the length, in bytes
     */
    void invalidateInstructionCache(long address, long byteSize) {
        memory.kernel().sysIcacheInvalidate(address, byteSize);
    }

    /**
     * Maps the pages of {@code [address, +byteSize)} a second time, sharing them, read-execute:
     * the dual-mapping way to write code through one address and run it through another.
     *
     * @param address the first page; not {@code MAP_JIT} memory
     * @param byteSize the length, in bytes; a multiple of the page size
     * @return the alias's address
     * @throws SystemCallException if the kernel refuses: {@code KERN_PROTECTION_FAILURE} for
     *     {@code MAP_JIT} pages, which may never have a second mapping
     */
    long mapAlias(long address, long byteSize) throws SystemCallException {
        // VM_FLAGS_USER_REMAP has no tag bits: mach_vm_remap refuses VM_MAKE_TAG with KERN_INVALID_ARGUMENT.
        int flags = MachAbi.VM_FLAGS_ANYWHERE;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment target = arena.allocate(JAVA_LONG);
            MemorySegment current = arena.allocate(JAVA_INT);
            MemorySegment maximum = arena.allocate(JAVA_INT);
            int kr = memory.kernel().machVmRemap(memory.task(), target, byteSize, 0, flags, memory.task(), address, 0,
                    current, maximum, MachAbi.VM_INHERIT_NONE);
            if (kr != KERN_SUCCESS) {
                throw memory.kern("mach_vm_remap(mach_task_self(), &0x0, " + byteSize + ", 0, " + MachAbi.allocateFlagsName(flags)
                        + ", mach_task_self(), " + Units.hex(address) + ", FALSE, VM_INHERIT_NONE)", kr);
            }
            long alias = target.get(JAVA_LONG, 0);
            try {
                memory.protect(alias, byteSize, dev.pagealloc.api.Protection.READ_EXECUTE);
            } catch (SystemCallException e) {
                int undo = memory.kernel().machVmDeallocate(memory.task(), alias, byteSize);
                if (undo != KERN_SUCCESS) {
                    e.addSuppressed(memory.kern("mach_vm_deallocate(mach_task_self(), " + Units.hex(alias) + ", " + byteSize + ")", undo));
                }
                throw e;
            }
            return alias;
        }
    }

    /**
     * Unmaps JIT memory or an alias.
     *
     * @param address its address
     * @param byteSize its size, in bytes
     * @throws SystemCallException if the kernel refuses
     */
    void release(long address, long byteSize) throws SystemCallException {
        memory.release(address, byteSize);
    }
}
