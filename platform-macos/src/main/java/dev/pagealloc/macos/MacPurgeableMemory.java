package dev.pagealloc.macos;

import static dev.pagealloc.macos.MachAbi.KERN_SUCCESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.pagealloc.api.Units;
import dev.pagealloc.spi.PurgeableMemory;
import dev.pagealloc.spi.SystemCallException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Purgeable memory: an allocation made with {@code VM_FLAGS_PURGABLE} whose contents the caller
 * may mark volatile ({@code vm_purgable_control}), letting the kernel empty it under memory
 * pressure instead of paging it out; marking it non-volatile again reports whether it was emptied.
 * Caches of data that can be recomputed are the use. This is macOS's answer to the WRT seed's
 * {@code mark_purgeable(offset, size, Volatility)}; the state applies to the whole allocation.
 *
 * <p>The {@link PurgeableMemory} feature of macOS. Run only against the simulated kernel here.
 *
 * <p>Thread-safe and stateless.
 */
final class MacPurgeableMemory implements PurgeableMemory {
    /** The states of a purgeable allocation ({@code <mach/vm_purgable.h>}). */
    enum Volatility {
        /** {@code VM_PURGABLE_NONVOLATILE} (0): contents are kept. */
        NON_VOLATILE(MachAbi.VM_PURGABLE_NONVOLATILE),
        /** {@code VM_PURGABLE_VOLATILE} (1): the kernel may empty the allocation at any time. */
        VOLATILE(MachAbi.VM_PURGABLE_VOLATILE),
        /** {@code VM_PURGABLE_EMPTY} (2): emptied; every page reads zero. */
        EMPTY(MachAbi.VM_PURGABLE_EMPTY);

        final int value;

        Volatility(int value) {
            this.value = value;
        }

        static Volatility of(int value) {
            for (Volatility v : values()) {
                if (v.value == value) {
                    return v;
                }
            }
            throw new IllegalStateException("vm_purgable_control returned an unknown state " + value);
        }
    }

    private final MacVirtualMemory memory;

    /**
     * Creates purgeable allocations over {@code memory}'s kernel, task and tag.
     *
     * @param memory the primitives
     */
    MacPurgeableMemory(MacVirtualMemory memory) {
        this.memory = memory;
    }

    /**
     * Allocates non-volatile, read-write, zero purgeable memory.
     *
     * @param byteSize the size, in bytes; a positive multiple of the page size
     * @return its address
     * @throws IllegalArgumentException if {@code byteSize} is not a positive multiple of the page size
     * @throws SystemCallException if the kernel refuses
     */
    @Override
    public String describe() {
        return "mach_vm_allocate(VM_FLAGS_PURGABLE) + mach_vm_purgable_control";
    }

    @Override
    public State setState(long address, State state) throws SystemCallException {
        Volatility before = setState(address, switch (state) {
            case NON_VOLATILE -> Volatility.NON_VOLATILE;
            case VOLATILE -> Volatility.VOLATILE;
            case EMPTY -> Volatility.EMPTY;
        });
        return switch (before) {
            case NON_VOLATILE -> State.NON_VOLATILE;
            case VOLATILE -> State.VOLATILE;
            case EMPTY -> State.EMPTY;
        };
    }

    @Override
    public long allocate(long byteSize) throws SystemCallException {
        if (byteSize <= 0 || byteSize % memory.pageBytes() != 0) {
            throw new IllegalArgumentException("allocatePurgeable(byteSize=" + byteSize
                    + "): not a positive multiple of the page size "
                    + memory.pageBytes());
        }
        int flags = MachAbi.VM_FLAGS_ANYWHERE | MachAbi.VM_FLAGS_PURGABLE | MachAbi.vmMakeTag(memory.tag());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = arena.allocate(JAVA_LONG);
            int kr = memory.kernel().machVmAllocate(memory.task(), address, byteSize, flags);
            if (kr != KERN_SUCCESS) {
                throw memory.kern("mach_vm_allocate(mach_task_self(), &0x0, " + byteSize + ", "
                        + MachAbi.allocateFlagsName(flags) + ")", kr);
            }
            return address.get(JAVA_LONG, 0);
        }
    }

    /**
     * Sets the state of the purgeable allocation holding {@code address}.
     *
     * @param address an address inside it
     * @param state the new state; {@link Volatility#EMPTY} empties it now, and an emptied allocation
     *     made {@link Volatility#VOLATILE} stays empty ({@code vm_object_purgable_control}: "what's
     *     been emptied must stay empty") until made {@link Volatility#NON_VOLATILE}
     * @return the state before the call: {@link Volatility#EMPTY} when making it non-volatile means
     *     the contents were lost and the pages read zero
     * @throws SystemCallException if the kernel refuses: {@code KERN_PROTECTION_FAILURE} when the
     *     page at {@code address} is not writable (checked first, {@code vm_map_purgable_control} in
     *     {@code osfmk/vm/vm_map.c}), {@code KERN_INVALID_ARGUMENT} when the memory is not purgeable
     */
    Volatility setState(long address, Volatility state) throws SystemCallException {
        return control(address, MachAbi.VM_PURGABLE_SET_STATE, state);
    }

    /**
     * {@return the state of the purgeable allocation holding {@code address}}
     *
     * @param address an address inside it
     * @throws SystemCallException if the kernel refuses
     */
    Volatility state(long address) throws SystemCallException {
        return control(address, MachAbi.VM_PURGABLE_GET_STATE, Volatility.NON_VOLATILE);
    }

    private Volatility control(long address, int control, Volatility state) throws SystemCallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment inOut = arena.allocate(JAVA_INT);
            inOut.set(JAVA_INT, 0, state.value);
            int kr = memory.kernel().machVmPurgableControl(memory.task(), address, control, inOut);
            if (kr != KERN_SUCCESS) {
                throw memory.kern("mach_vm_purgable_control(mach_task_self(), " + Units.hex(address) + ", "
                        + (control == MachAbi.VM_PURGABLE_SET_STATE ? "VM_PURGABLE_SET_STATE, &" + state
                        : "VM_PURGABLE_GET_STATE")
                        + ")", kr);
            }
            return Volatility.of(inOut.get(JAVA_INT, 0));
        }
    }

    /**
     * Releases a purgeable allocation.
     *
     * @param address its address
     * @param byteSize its size, in bytes
     * @throws SystemCallException if the kernel refuses
     */
    @Override
    public void release(long address, long byteSize) throws SystemCallException {
        memory.release(address, byteSize);
    }
}
