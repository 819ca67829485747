package dev.pagealloc.macos;

import static dev.pagealloc.macos.MachAbi.KERN_SUCCESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Units;
import dev.pagealloc.spi.ExecutableMemory;
import dev.pagealloc.spi.SystemCallException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * What the {@code jit} layer needs on macOS, so far: a second, read-execute mapping of pages that
 * stay writable at their first address ({@link #mapAlias}, {@code mach_vm_remap}), and
 * {@code sys_icache_invalidate} after writing code ({@link #invalidateInstructionCache}; a no-op on
 * x86-64). Protection flips ({@link MacVirtualMemory#protect}) are the other W^X way.
 *
 * <h2>Why there is no {@code MAP_JIT} with {@code pthread_jit_write_protect_np}</h2>
 * Apple's own JIT recipe cannot be used from Java under HotSpot, so it is not offered
 * ({@link dev.pagealloc.api.Capabilities.WxStrategy#PER_THREAD_TOGGLE} is never reported on macOS)
 * and pagealloc does not even bind the function:
 * <ul>
 *   <li>the switch is per thread and covers every {@code MAP_JIT} region of the process at once
 *       (libpthread {@code include/pthread/pthread.h}, {@code pthread_jit_write_protect_np} and
 *       {@code pthread_jit_write_with_callback_np}: "Toggles per-thread write-protection of the
 *       MAP_JIT region");</li>
 *   <li>HotSpot maps its own code cache {@code MAP_JIT} ({@code src/hotspot/os/bsd/os_bsd.cpp},
 *       {@code anon_mmap}: {@code MACOS_ONLY(| (exec ? MAP_JIT : 0))}), keeps Java threads
 *       executable there and caches that state ({@code src/hotspot/share/runtime/thread.inline.hpp},
 *       {@code Thread::enable_wx} only switches when {@code _wx_state != new_state});</li>
 *   <li>an FFM downcall returns into its stub in that code cache, which goes on executing
 *       ({@code src/hotspot/cpu/aarch64/downcallLinker_aarch64.cpp}), and JDK 25's BSD/aarch64
 *       signal handler does not switch back on the fault.</li>
 * </ul>
 * So {@code pthread_jit_write_protect_np(0)} from Java makes the calling thread return into code it
 * can no longer execute: the JVM dies. {@code pthread_jit_write_with_callback_np} does not help
 * either: a Java callback is an upcall stub in the same code cache, and with the
 * {@code jit-write-allowlist} entitlement only callbacks listed at build time in an image loaded at
 * start-up are allowed.
 *
 * <h2>What is known for the macOS JIT path (for the JIT issue)</h2>
 * <ul>
 *   <li>{@code mach_vm_remap} of {@code MAP_JIT} memory within the same task is allowed
 *       ({@code osfmk/vm/vm_map.c}, {@code vm_map_remap_extract}: a {@code used_for_jit} entry is
 *       refused only across maps, {@code same_map} passes), and the new entry keeps
 *       {@code used_for_jit}; whether its pages then escape the per-thread switch is decided by
 *       Apple's shipping pmap (not public) and must be tried on a Mac.</li>
 *   <li>Dual mapping ordinary memory (read-write here, read-execute through the alias) avoids
 *       {@code MAP_JIT} and the switch altogether; whether a hardened-runtime JVM may make such an
 *       alias executable on Apple silicon depends on the JVM's entitlements
 *       ({@code com.apple.security.cs.allow-jit} is what the JDK's launcher has) and was not run on
 *       a Mac. Only the simulated kernel has exercised {@link #mapAlias}.</li>
 * </ul>
 *
 * <p>The {@link ExecutableMemory} feature of macOS: {@link #map} allocates ordinary read-write memory
 * and aliases it read-execute with {@link #mapAlias}; {@link #flushInstructionCache} is
 * {@code sys_icache_invalidate}. Run only against the simulated kernel here.
 *
 * <p>Thread-safe and stateless.
 */
final class MacJitMemory implements ExecutableMemory {
    private final MacVirtualMemory memory;

    /**
     * Creates JIT support over {@code memory}'s kernel and task.
     *
     * @param memory the primitives
     */
    MacJitMemory(MacVirtualMemory memory) {
        this.memory = memory;
    }

    @Override
    public String describe() {
        return "mach_vm_allocate read-write + mach_vm_remap read-execute alias; sys_icache_invalidate";
    }

    @Override
    public DualMapping map(long byteSize) throws SystemCallException {
        long writable = memory.allocateAnywhere(byteSize);
        try {
            return new DualMapping(writable, mapAlias(writable, byteSize), byteSize, 0);
        } catch (SystemCallException e) {
            int undo = memory.kernel().machVmDeallocate(memory.task(), writable, byteSize);
            if (undo != KERN_SUCCESS) {
                e.addSuppressed(memory.kern("mach_vm_deallocate(mach_task_self(), " + Units.hex(writable) + ", "
                        + byteSize + ")", undo));
            }
            throw e;
        }
    }

    @Override
    public void unmap(DualMapping mapping) throws SystemCallException {
        SystemCallException first = null;
        for (long address : new long[] {mapping.executableAddress(), mapping.writableAddress()}) {
            try {
                memory.release(address, mapping.byteSize());
            } catch (SystemCallException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    @Override
    public void flushInstructionCache(long address, long byteSize) {
        invalidateInstructionCache(address, byteSize);
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
     * @param address the first page
     * @param byteSize the length, in bytes; a multiple of the page size
     * @return the alias's address
     * @throws SystemCallException if the kernel refuses the remap, or the read-execute protection of
     *     the alias (then the alias is unmapped again)
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
                throw memory.kern("mach_vm_remap(mach_task_self(), &0x0, " + byteSize + ", 0, "
                        + MachAbi.allocateFlagsName(flags)
                        + ", mach_task_self(), " + Units.hex(address) + ", FALSE, VM_INHERIT_NONE)", kr);
            }
            long alias = target.get(JAVA_LONG, 0);
            try {
                memory.protect(alias, byteSize, Protection.READ_EXECUTE);
            } catch (SystemCallException e) {
                int undo = memory.kernel().machVmDeallocate(memory.task(), alias, byteSize);
                if (undo != KERN_SUCCESS) {
                    e.addSuppressed(memory.kern("mach_vm_deallocate(mach_task_self(), " + Units.hex(alias) + ", "
                            + byteSize + ")", undo));
                }
                throw e;
            }
            return alias;
        }
    }

    /**
     * Unmaps an alias.
     *
     * @param address its address
     * @param byteSize its size, in bytes
     * @throws SystemCallException if the kernel refuses
     */
    void release(long address, long byteSize) throws SystemCallException {
        memory.release(address, byteSize);
    }
}
