package dev.pagealloc.macos;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.Capabilities;
import dev.pagealloc.macos.MacPurgeableMemory.Volatility;
import dev.pagealloc.spi.Backing;
import dev.pagealloc.spi.PlatformRequest;
import dev.pagealloc.spi.SystemCallException;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The FFM bindings and extras on the real macOS kernel. Runs only on macOS (the CI's macos runner). */
@EnabledOnOs(OS.MAC)
class MacRealKernelTest {
    private final MacVirtualMemory memory = (MacVirtualMemory) new MacPlatformProvider()
            .open(PlatformRequest.NONE);

    @SuppressWarnings("restricted") // see the SAFETY line
    private static MemorySegment bytes(long address, long byteSize) {
        // SAFETY: the test maps these pages read-write and unmaps them after.
        return MemorySegment.ofAddress(address).reinterpret(byteSize);
    }

    @Test
    void shouldProbeTheRealMac() {
        Capabilities c = memory.capabilities();
        assertEquals(System.getProperty("os.arch"), c.architecture(), "the JVM's architecture, also under Rosetta 2");
        assertEquals(c.architecture().equals("aarch64") ? 16384 : 4096, c.pageBytes());
        assertEquals(java.util.Set.of(Capabilities.WxStrategy.PROTECTION_FLIP,
                Capabilities.WxStrategy.DUAL_MAPPING), c.wxStrategies());
        assertTrue(c.totalMemoryBytes() > 0);
        assertTrue(c.processors() > 0);
        assertTrue(FfmMachKernel.INSTANCE.machTaskSelf() != 0, "mach_task_self_ read as a global");
    }

    @Test
    void shouldReserveCommitDiscardAndReleaseWithRealMachCalls() throws SystemCallException {
        long page = memory.pageBytes();
        long a = memory.reserve(4 * page, page, Backing.DEFAULT);
        memory.commit(a, 2 * page, Backing.DEFAULT);
        bytes(a, 2 * page).fill((byte) 1);
        memory.protect(a + page, page, dev.pagealloc.api.Protection.READ);
        memory.discard(a, 2 * page, Backing.DEFAULT);
        assertEquals(0, bytes(a, 2 * page).get(JAVA_BYTE, page + 5));
        assertEquals(dev.pagealloc.api.Protection.READ,
                new MachKernelView(FfmMachKernel.INSTANCE).mappings(a + page, page).getFirst().protection());
        memory.copyPages(a + page, a, page);
        memory.markReusable(a, page);
        memory.markReused(a, page);
        memory.release(a, 4 * page);
        assertTrue(new MachKernelView(FfmMachKernel.INSTANCE).mappings(a, 4 * page).isEmpty());
    }

    @Test
    void shouldSetAndReadPurgeableStates() throws SystemCallException {
        MacPurgeableMemory purgeable = new MacPurgeableMemory(memory);
        long a = purgeable.allocate(memory.pageBytes());
        assertEquals(Volatility.NON_VOLATILE, purgeable.setState(a, Volatility.VOLATILE));
        Volatility before = purgeable.setState(a, Volatility.NON_VOLATILE);
        assertTrue(before == Volatility.VOLATILE || before == Volatility.EMPTY, before::toString);
        purgeable.release(a, memory.pageBytes());
    }

    @Test
    void shouldNameAKernelRefusal() {
        SystemCallException e = assertThrows(SystemCallException.class,
                () -> memory.protect(0x1000, memory.pageBytes(), dev.pagealloc.api.Protection.READ));
        assertTrue(e.getMessage().startsWith("mach_vm_protect(mach_task_self(), 0x1000, "), e.getMessage());
    }

    // No test here calls pthread_jit_write_protect_np: under HotSpot it kills the test JVM (see MacJitMemory).

    @Test
    void shouldDualMapPagesReadExecuteAndShareTheirBytes() throws SystemCallException {
        MacJitMemory jit = new MacJitMemory(memory);
        long size = memory.pageBytes();
        long code = memory.reserve(size, size, Backing.DEFAULT);
        memory.commit(code, size, Backing.DEFAULT);
        bytes(code, size).set(JAVA_BYTE, 3, (byte) 0x5A);
        long alias = jit.mapAlias(code, size);
        MachKernelView view = new MachKernelView(FfmMachKernel.INSTANCE);
        assertEquals(dev.pagealloc.api.Protection.READ_EXECUTE, view.mappings(alias, size).getFirst().protection());
        assertEquals(dev.pagealloc.api.Protection.READ_WRITE, view.mappings(code, size).getFirst().protection());
        assertEquals((byte) 0x5A, bytes(alias, size).get(JAVA_BYTE, 3));
        bytes(code, size).set(JAVA_BYTE, 4, (byte) 0x6B);
        assertEquals((byte) 0x6B, bytes(alias, size).get(JAVA_BYTE, 4), "the alias shares the pages");
        jit.release(alias, size);
        memory.release(code, size);
    }

    @Test
    void shouldRemapMapJitMemoryWithinTheTask() throws SystemCallException {
        MachKernel kernel = FfmMachKernel.INSTANCE;
        long size = memory.pageBytes();
        int prot = MachAbi.PROT_READ | MachAbi.PROT_WRITE | MachAbi.PROT_EXEC;
        long mapJit = kernel.mmap(0, size, prot, MachAbi.MAP_PRIVATE | MachAbi.MAP_ANON | MachAbi.MAP_JIT, -1, 0);
        assertTrue(mapJit != MachAbi.MAP_FAILED, () -> "mmap(MAP_JIT): errno " + kernel.errno());
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment target = arena.allocate(java.lang.foreign.ValueLayout.JAVA_LONG);
            MemorySegment cur = arena.allocate(java.lang.foreign.ValueLayout.JAVA_INT);
            MemorySegment max = arena.allocate(java.lang.foreign.ValueLayout.JAVA_INT);
            int task = kernel.machTaskSelf();
            int kr = kernel.machVmRemap(task, target, size, 0, MachAbi.VM_FLAGS_ANYWHERE, task, mapJit, 0, cur, max,
                    MachAbi.VM_INHERIT_NONE);
            assertEquals(MachAbi.KERN_SUCCESS, kr, "vm_map_remap_extract allows same_map sharing of used_for_jit: "
                    + MachAbi.kernName(kr));
            memory.release(target.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0), size);
        } finally {
            memory.release(mapJit, size);
        }
    }
}
