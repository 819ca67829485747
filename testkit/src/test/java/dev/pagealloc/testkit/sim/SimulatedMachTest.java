package dev.pagealloc.testkit.sim;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.Protection;
import dev.pagealloc.testkit.KernelView;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The documented Mach VM rules the simulation enforces, with the codes macOS returns. */
class SimulatedMachTest {
    private static final int TASK = SimulatedMach.TASK_SELF;
    private final Arena arena = Arena.ofConfined();
    private SimulatedMach sim;

    @AfterEach
    void close() {
        arena.close();
        if (sim != null) {
            sim.addressSpace().close();
        }
    }

    private SimulatedMach sim(String arch) {
        sim = arch.equals("arm64") ? SimulatedMach.arm64(16L << 20) : SimulatedMach.x86_64(16L << 20);
        return sim;
    }

    private long allocate(long size, int flags) {
        MemorySegment out = arena.allocate(JAVA_LONG);
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmAllocate(TASK, out, size, flags));
        return out.get(JAVA_LONG, 0);
    }

    private MemorySegment bytes(long address, long size) {
        return MemorySegment.ofAddress(address).reinterpret(size);
    }

    @ParameterizedTest
    @ValueSource(strings = {"arm64", "x86_64"})
    void shouldHandOutZeroReadWritePagesOfTheArchitecturesSize(String arch) {
        sim(arch);
        long page = arch.equals("arm64") ? 16384 : 4096;
        assertEquals(page, sim.addressSpace().pageBytes());
        long a = allocate(page + 1, 1);
        assertEquals(0, a % page);
        assertEquals(2 * page, sim.addressSpace().runs(a, 2 * page).getFirst().byteSize(), "size rounded up to pages");
        assertEquals(0, bytes(a, 2 * page).get(JAVA_BYTE, page + 3));
        KernelView view = sim.addressSpace().kernelView();
        assertEquals(Protection.READ_WRITE, view.mappings(a, 2 * page).getFirst().protection());
        bytes(a, 2 * page).fill((byte) 8);
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmDeallocate(TASK, a, 2 * page));
        assertTrue(view.mappings(a, 2 * page).isEmpty());
        long again = allocate(2 * page, 0, a);
        assertEquals(a, again);
        assertEquals(0, bytes(a, 2 * page).get(JAVA_BYTE, 5), "freed pages read zero when mapped again");
    }

    private long allocate(long size, int flags, long at) {
        MemorySegment out = arena.allocate(JAVA_LONG);
        out.set(JAVA_LONG, 0, at);
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmAllocate(TASK, out, size, flags));
        return out.get(JAVA_LONG, 0);
    }

    @Test
    void shouldRefuseWhatXnuRefuses() {
        sim("arm64");
        MemorySegment out = arena.allocate(JAVA_LONG);
        assertEquals(SimulatedMach.KERN_INVALID_ARGUMENT, sim.machVmAllocate(TASK, out, 16384, 0x1 | 0x4000),
                "VM_FLAGS_OVERWRITE with VM_FLAGS_ANYWHERE");
        assertEquals(SimulatedMach.KERN_INVALID_ARGUMENT, sim.machVmAllocate(TASK, out, 2L << 20, 0x1 | 0x20000),
                "no superpages on arm64");
        assertEquals(SimulatedMach.MACH_SEND_INVALID_DEST, sim.machVmAllocate(0x999, out, 16384, 1), "not our task");
        assertEquals(SimulatedMach.KERN_NO_SPACE, sim.machVmAllocate(TASK, out, 32L << 20, 1), "larger than the space");
        long a = allocate(4 * 16384, 1);
        out.set(JAVA_LONG, 0, a);
        assertEquals(SimulatedMach.KERN_NO_SPACE, sim.machVmAllocate(TASK, out, 16384, 0), "fixed over a mapping");
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmAllocate(TASK, out, 16384, 0x4000), "unless overwriting");
        assertEquals(SimulatedMach.KERN_PROTECTION_FAILURE, sim.machVmProtect(TASK, a, 16384, 0, 7),
                "writable and executable outside MAP_JIT on arm64");
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmProtect(TASK, a, 16384, 1, 1), "lower the maximum to read");
        assertEquals(SimulatedMach.KERN_PROTECTION_FAILURE, sim.machVmProtect(TASK, a, 16384, 0, 3), "above the maximum");
        assertEquals(SimulatedMach.KERN_INVALID_ADDRESS, sim.machVmProtect(TASK, a + 3 * 16384, 2 * 16384, 0, 1),
                "partly unmapped");
        assertEquals(SimulatedMach.KERN_INVALID_ARGUMENT, sim.machVmPurgableControl(TASK, a, 0, arena.allocate(JAVA_INT)),
                "not purgeable");
        assertEquals(-1, sim.madvise(a + 1, 16384, 7));
        assertEquals(SimulatedMach.EINVAL, sim.errno());
        assertEquals(-1, sim.madvise(a + 4 * 16384, 16384, 7));
        assertEquals(SimulatedMach.ENOMEM, sim.errno());
        assertEquals("(os/kern) protection failure", sim.machErrorString(2));
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmDeallocate(TASK, a, 4 * 16384));
    }

    @Test
    void shouldAllowWritableExecutableOnIntelAndSuperpagesThere() {
        sim("x86_64");
        long a = allocate(4096, 1);
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmProtect(TASK, a, 4096, 0, 7));
        assertEquals(1, sim.addressSpace().kernelView().writableExecutableMappings().size());
        MemorySegment out = arena.allocate(JAVA_LONG);
        assertEquals(SimulatedMach.KERN_INVALID_ARGUMENT, sim.machVmAllocate(TASK, out, 3L << 20, 0x1 | 0x20000),
                "superpages in 2 MiB multiples only");
        long s = allocate(2L << 20, 0x1 | 0x20000);
        assertEquals(0, s % (2L << 20));
        assertEquals(2L << 20, sim.addressSpace().allocationAt(s).orElseThrow().superpageBytes());
    }

    @Test
    void shouldNeverRemapMapJitPagesAndEmptyVolatileOnes() {
        sim("arm64");
        long jit = sim.mmap(0, 16384, 7, 0x1000 | 0x2 | 0x800, -1, 0);
        assertTrue(jit > 0);
        assertEquals(-1, sim.mmap(0, 16384, 7, 0x1000 | 0x2, -1, 0), "RWX without MAP_JIT on arm64");
        assertEquals(SimulatedMach.EACCES, sim.errno());
        MemorySegment target = arena.allocate(JAVA_LONG);
        MemorySegment cur = arena.allocate(JAVA_INT);
        MemorySegment max = arena.allocate(JAVA_INT);
        assertEquals(SimulatedMach.KERN_PROTECTION_FAILURE,
                sim.machVmRemap(TASK, target, 16384, 0, 1, TASK, jit, 0, cur, max, 2), "MAP_JIT cannot be dual-mapped");
        assertEquals(SimulatedMach.KERN_INVALID_ARGUMENT,
                sim.machVmRemap(TASK, target, 16384, 0, 1 | 0xF0000000, TASK, jit, 0, cur, max, 2), "no tag in remap flags");
        long p = allocate(16384, 1 | 0x2);
        bytes(p, 16384).fill((byte) 1);
        MemorySegment state = arena.allocate(JAVA_INT);
        state.set(JAVA_INT, 0, 1);
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmPurgableControl(TASK, p, 0, state));
        assertEquals(0, state.get(JAVA_INT, 0), "was non-volatile");
        sim.simulateMemoryPressure();
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmPurgableControl(TASK, p, 1, state));
        assertEquals(2, state.get(JAVA_INT, 0), "emptied");
        assertEquals(0, bytes(p, 16384).get(JAVA_BYTE, 100));
    }

    @Test
    void shouldAnswerSysctlsAsMacOsDoes() {
        sim("arm64");
        MemorySegment value = arena.allocate(JAVA_LONG);
        MemorySegment length = arena.allocate(JAVA_LONG);
        length.set(JAVA_LONG, 0, 8);
        assertEquals(0, sim.sysctlbyname("hw.pagesize", value, length, MemorySegment.NULL, 0));
        assertEquals(16384, value.get(JAVA_LONG, 0));
        assertEquals(-1, sim.sysctlbyname("hw.nonexistent", value, length, MemorySegment.NULL, 0));
        assertEquals(SimulatedMach.ENOENT, sim.errno());
        length.set(JAVA_LONG, 0, 2);
        assertEquals(-1, sim.sysctlbyname("hw.memsize", value, length, MemorySegment.NULL, 0));
        assertEquals(SimulatedMach.ENOMEM, sim.errno(), "too small a buffer");
    }
}
