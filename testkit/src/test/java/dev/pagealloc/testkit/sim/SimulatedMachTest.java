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

    @SuppressWarnings("restricted") // see the SAFETY line
    private MemorySegment bytes(long address, long size) {
        // SAFETY: the simulation's pages are real host memory it owns until closed.
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
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmAllocate(TASK, out, 16384, 0x1 | 0x4 | 0x80 | 0x1000),
                "VM_FLAGS_4GB_CHUNK, VM_FLAGS_PERMANENT and VM_FLAGS_TPRO are VM_FLAGS_USER_ALLOCATE flags");
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmDeallocate(TASK, out.get(JAVA_LONG, 0), 16384));
        assertEquals(SimulatedMach.KERN_INVALID_ARGUMENT, sim.machVmAllocate(TASK, out, 16384, 0x1 | 0x20),
                "VM_FLAGS_RETURN_DATA_ADDR is no allocate flag");
        assertEquals(SimulatedMach.KERN_NO_SPACE, sim.machVmAllocate(TASK, out, 32L << 20, 1), "larger than the space");
        long a = allocate(4 * 16384, 1);
        out.set(JAVA_LONG, 0, a);
        assertEquals(SimulatedMach.KERN_NO_SPACE, sim.machVmAllocate(TASK, out, 16384, 0), "fixed over a mapping");
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmAllocate(TASK, out, 16384, 0x4000), "unless overwriting");
        assertEquals(SimulatedMach.KERN_PROTECTION_FAILURE, sim.machVmProtect(TASK, a, 16384, 0, 7),
                "writable and executable outside MAP_JIT on arm64");
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmProtect(TASK, a, 16384, 1, 1), "lower the maximum to read");
        assertEquals(SimulatedMach.KERN_PROTECTION_FAILURE, sim.machVmProtect(TASK, a, 16384, 0, 3),
                "above the maximum");
        assertEquals(SimulatedMach.KERN_INVALID_ADDRESS, sim.machVmProtect(TASK, a + 3 * 16384, 2 * 16384, 0, 1),
                "partly unmapped");
        assertEquals(SimulatedMach.KERN_INVALID_ARGUMENT,
                sim.machVmPurgableControl(TASK, a + 16384, 0, arena.allocate(JAVA_INT)), "not purgeable");
        assertEquals(-1, sim.bsd().madvise(a + 1, 16384, 7));
        assertEquals(SimulatedBsd.EINVAL, sim.bsd().errno());
        assertEquals(-1, sim.bsd().madvise(a + 4 * 16384, 16384, 7));
        assertEquals(SimulatedBsd.EINVAL, sim.bsd().errno(),
                "a hole is KERN_INVALID_ADDRESS, which madvise makes EINVAL");
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
    void shouldRemapMapJitPagesWithinTheTaskAsJitMemory() {
        sim("arm64");
        long jit = sim.bsd().mmap(0, 16384, 7, 0x1000 | 0x2 | 0x800, -1, 0);
        assertTrue(jit > 0);
        assertEquals(-1, sim.bsd().mmap(0, 16384, 7, 0x1000 | 0x2, -1, 0), "RWX without MAP_JIT on arm64");
        assertEquals(SimulatedBsd.EACCES, sim.bsd().errno());
        MemorySegment target = arena.allocate(JAVA_LONG);
        MemorySegment cur = arena.allocate(JAVA_INT);
        MemorySegment max = arena.allocate(JAVA_INT);
        assertEquals(SimulatedMach.KERN_INVALID_ARGUMENT,
                sim.machVmRemap(TASK, target, 16384, 0, 1 | 0xF0000000, TASK, jit, 0, cur, max, 2),
                "no tag in remap flags");
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmRemap(TASK, target, 16384, 0, 1, TASK, jit, 0, cur, max, 2),
                "vm_map_remap_extract shares used_for_jit entries within the same map");
        long alias = target.get(JAVA_LONG, 0);
        assertEquals(7, cur.get(JAVA_INT, 0), "the alias has the source's protection");
        assertEquals(jit, sim.sharedWith(alias).orElseThrow());
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmProtect(TASK, alias, 16384, 0, 7),
                "the alias keeps used_for_jit, so it may be writable and executable");
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmProtect(TASK, alias, 16384, 0, 5));
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmDeallocate(TASK, alias, 16384));
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmDeallocate(TASK, jit, 16384));
    }

    @Test
    void shouldShareOrdinaryPagesWithTheirProtectionsThroughMachVmRemap() {
        sim("arm64");
        long a = allocate(3 * 16384, 1);
        bytes(a, 3 * 16384).fill((byte) 0x2A);
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmProtect(TASK, a + 16384, 16384, 0, 1));
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmProtect(TASK, a + 2 * 16384, 16384, 1, 3));
        MemorySegment target = arena.allocate(JAVA_LONG);
        MemorySegment cur = arena.allocate(JAVA_INT);
        MemorySegment max = arena.allocate(JAVA_INT);
        assertEquals(SimulatedMach.KERN_SUCCESS,
                sim.machVmRemap(TASK, target, 3 * 16384, 0, 1, TASK, a, 0, cur, max, 2),
                "sharing ordinary pages is what mach_vm_remap is for");
        long alias = target.get(JAVA_LONG, 0);
        assertEquals(1, cur.get(JAVA_INT, 0), "what every source page allows now");
        assertEquals(3, max.get(JAVA_INT, 0), "and at most");
        KernelView view = sim.addressSpace().kernelView();
        assertEquals(java.util.List.of(new KernelView.Mapping(alias, alias + 16384, Protection.READ_WRITE),
                new KernelView.Mapping(alias + 16384, alias + 2 * 16384, Protection.READ),
                new KernelView.Mapping(alias + 2 * 16384, alias + 3 * 16384, Protection.READ_WRITE)),
                view.mappings(alias, 3 * 16384));
        assertEquals(a + 2 * 16384, sim.sharedWith(alias + 2 * 16384 + 5).orElseThrow());
        assertEquals(0x2A, bytes(alias, 3 * 16384).get(JAVA_BYTE, 2 * 16384 + 7), "the alias shows the source's bytes");
        assertEquals(SimulatedMach.KERN_PROTECTION_FAILURE, sim.machVmProtect(TASK, alias + 2 * 16384, 16384, 0, 5),
                "the source's maximum came along");
        assertTrue(sim.sharedWith(a).isEmpty(), "the source is no alias");
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmDeallocate(TASK, alias, 3 * 16384));
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmDeallocate(TASK, a, 3 * 16384));
    }

    @Test
    void shouldAcceptEveryAdviceXnuKnowsAndRefuseReusableOnReadOnlyPages() {
        sim("arm64");
        long a = allocate(2 * 16384, 1);
        assertEquals(0, sim.bsd().madvise(a, 2 * 16384, 9), "MADV_CAN_REUSE");
        assertEquals(-1, sim.bsd().madvise(a, 2 * 16384, 10), "MADV_PAGEOUT is internal");
        assertEquals(SimulatedBsd.ENOTSUP, sim.bsd().errno());
        bytes(a, 2 * 16384).fill((byte) 5);
        assertEquals(0, sim.bsd().madvise(a, 16384, 11), "MADV_ZERO");
        assertEquals(0, bytes(a, 16384).get(JAVA_BYTE, 77), "MADV_ZERO zeroes");
        assertEquals(5, bytes(a + 16384, 16384).get(JAVA_BYTE, 77));
        assertEquals(-1, sim.bsd().madvise(a, 2 * 16384, 12));
        assertEquals(SimulatedBsd.EINVAL, sim.bsd().errno(), "12 is no advice");
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmProtect(TASK, a + 16384, 16384, 0, 1));
        assertEquals(-1, sim.bsd().madvise(a, 2 * 16384, 7), "MADV_FREE_REUSABLE over a read-only page");
        assertEquals(SimulatedBsd.EPERM, sim.bsd().errno());
        assertEquals(0, sim.addressSpace().reusableBytes(), "nothing marked");
        assertEquals(-1, sim.bsd().madvise(a + 16384, 16384, 11));
        assertEquals(SimulatedBsd.EPERM, sim.bsd().errno(), "MADV_ZERO needs writable pages");
        assertEquals(-1, sim.bsd().madvise(sim.addressSpace().base() + sim.addressSpace().byteSize(), 16384, 7));
        assertEquals(SimulatedBsd.ENOMEM, sim.bsd().errno(), "beyond the map");
        long jit = sim.bsd().mmap(0, 16384, 5, 0x1000 | 0x2 | 0x800, -1, 0);
        assertEquals(0, sim.bsd().madvise(jit, 16384, 7), "MAP_JIT pages are exempt from the writable check");
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmDeallocate(TASK, jit, 16384));
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmDeallocate(TASK, a, 2 * 16384));
    }

    @Test
    void shouldRefusePurgeableControlOnUnwritablePagesAndKeepAnEmptiedObjectEmpty() {
        sim("arm64");
        long p = allocate(16384, 1 | 0x2);
        MemorySegment state = arena.allocate(JAVA_INT);
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmProtect(TASK, p, 16384, 0, 1));
        state.set(JAVA_INT, 0, 1);
        assertEquals(SimulatedMach.KERN_PROTECTION_FAILURE, sim.machVmPurgableControl(TASK, p, 0, state),
                "SET_STATE on memory the task cannot write");
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmPurgableControl(TASK, p, 1, state), "GET_STATE is allowed");
        assertEquals(0, state.get(JAVA_INT, 0));
        long plain = allocate(16384, 1);
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmProtect(TASK, plain, 16384, 0, 0));
        state.set(JAVA_INT, 0, 1);
        assertEquals(SimulatedMach.KERN_PROTECTION_FAILURE, sim.machVmPurgableControl(TASK, plain, 0, state),
                "the protection is checked before whether the object is purgeable");
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmProtect(TASK, p, 16384, 0, 3));
        state.set(JAVA_INT, 0, 2);
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmPurgableControl(TASK, p, 0, state), "empty it");
        state.set(JAVA_INT, 0, 1);
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmPurgableControl(TASK, p, 0, state));
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmPurgableControl(TASK, p, 1, state));
        assertEquals(2, state.get(JAVA_INT, 0), "what's been emptied must stay empty");
    }

    @Test
    void shouldWireSuperpagesAndProtectOrFreeThemWhole() {
        sim("x86_64");
        long s = allocate(4L << 20, 0x1 | 0x20000);
        assertEquals(4L << 20, sim.wiredBytes(), "superpages are wired when allocated");
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmProtect(TASK, s + 4096, 4096, 0, 1));
        KernelView view = sim.addressSpace().kernelView();
        assertEquals(java.util.List.of(new KernelView.Mapping(s, s + (2L << 20), Protection.READ),
                new KernelView.Mapping(s + (2L << 20), s + (4L << 20), Protection.READ_WRITE)),
                view.mappings(s, 4L << 20),
                "protecting one base page of a superpage protects the superpage");
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmDeallocate(TASK, s + (2L << 20) + 8192, 4096));
        assertTrue(view.mappings(s + (2L << 20), 2L << 20).isEmpty(), "freeing one base page frees the superpage");
        assertEquals(2L << 20, sim.wiredBytes());
        long any = allocate(3L << 20, 0x1 | 0x10000);
        assertEquals(4L << 20, sim.addressSpace().allocationAt(any).orElseThrow().byteSize(),
                "SUPERPAGE_SIZE_ANY rounds up to 2 MiB on x86-64");
        long base = allocate(4096, 1);
        assertEquals(6L << 20, sim.wiredBytes(), "base pages are not wired");
        assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmDeallocate(TASK, base, 4096));
    }

    @Test
    void shouldAnswerAsAnX86ProcessUnderRosetta() {
        SimulatedMach rosetta = SimulatedMach.x86_64UnderRosetta(16L << 20);
        sim = rosetta;
        MemorySegment value = arena.allocate(JAVA_LONG);
        MemorySegment length = arena.allocate(JAVA_LONG);
        length.set(JAVA_LONG, 0, 8);
        assertEquals(0, rosetta.bsd().sysctlbyname("hw.optional.arm64", value, length, MemorySegment.NULL, 0));
        assertEquals(1, value.get(JAVA_INT, 0), "every process of an arm64 kernel reads 1");
        assertEquals(0, rosetta.bsd().sysctlbyname("sysctl.proc_translated", value, length, MemorySegment.NULL, 0));
        assertEquals(1, value.get(JAVA_INT, 0));
        length.set(JAVA_LONG, 0, 8);
        assertEquals(0, rosetta.bsd().sysctlbyname("hw.pagesize", value, length, MemorySegment.NULL, 0));
        assertEquals(4096, value.get(JAVA_LONG, 0), "the process's map page size");
        MemorySegment out = arena.allocate(JAVA_LONG);
        assertEquals(SimulatedMach.KERN_INVALID_ARGUMENT, rosetta.machVmAllocate(TASK, out, 2L << 20, 0x1 | 0x20000),
                "no superpages on an arm64 kernel");
        long a = allocate(4096, 1);
        bytes(a, 4096).fill((byte) 4);
        assertEquals(0, rosetta.bsd().madvise(a, 4096, 7));
        assertEquals(0, rosetta.addressSpace().reusableBytes(), "MADV_FREE_REUSABLE does nothing on 4 KiB map pages");
        assertEquals(-1, rosetta.bsd().madvise(a, 4096, 11));
        assertEquals(SimulatedBsd.ENOTSUP, rosetta.bsd().errno());
        assertEquals(SimulatedMach.KERN_SUCCESS, rosetta.machVmProtect(TASK, a, 4096, 0, 7),
                "an exotic map has no W^X rule");
        SimulatedMach intel = SimulatedMach.x86_64(2L << 20);
        try {
            length.set(JAVA_LONG, 0, 8);
            assertEquals(-1, intel.bsd().sysctlbyname("sysctl.proc_translated", value, length, MemorySegment.NULL, 0));
            assertEquals(SimulatedBsd.ENOENT, intel.bsd().errno(), "an Intel kernel has no Rosetta");
        } finally {
            intel.addressSpace().close();
        }
    }

    @Test
    void shouldEmptyVolatilePurgeableMemoryUnderPressure() {
        sim("arm64");
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
        assertEquals(0, sim.bsd().sysctlbyname("hw.pagesize", value, length, MemorySegment.NULL, 0));
        assertEquals(16384, value.get(JAVA_LONG, 0));
        assertEquals(-1, sim.bsd().sysctlbyname("hw.nonexistent", value, length, MemorySegment.NULL, 0));
        assertEquals(SimulatedBsd.ENOENT, sim.bsd().errno());
        length.set(JAVA_LONG, 0, 2);
        assertEquals(-1, sim.bsd().sysctlbyname("hw.memsize", value, length, MemorySegment.NULL, 0));
        assertEquals(SimulatedBsd.ENOMEM, sim.bsd().errno(), "too small a buffer");
    }
}
