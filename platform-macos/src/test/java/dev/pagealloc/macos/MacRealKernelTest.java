package dev.pagealloc.macos;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.macos.MacPurgeableMemory.Volatility;
import dev.pagealloc.spi.Backing;
import dev.pagealloc.spi.SystemCallException;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The FFM bindings and extras on the real macOS kernel. Runs only on macOS (the CI's macos runner). */
@EnabledOnOs(OS.MAC)
class MacRealKernelTest {
    private final MacVirtualMemory memory = (MacVirtualMemory) new MacPlatformProvider()
            .open(PageAllocator.builder().withPlatform("macos").build().config());

    private static MemorySegment bytes(long address, long byteSize) {
        // SAFETY: the test maps these pages read-write and unmaps them after.
        return MemorySegment.ofAddress(address).reinterpret(byteSize);
    }

    @Test
    void shouldProbeTheRealMac() {
        Capabilities c = memory.capabilities();
        assertEquals(c.architecture().equals("aarch64") ? 16384 : 4096, c.pageBytes());
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

    @Test
    void shouldRunMapJitMemoryWherePerThreadToggleExists() throws SystemCallException {
        MacJitMemory jit = new MacJitMemory(memory);
        if (!jit.perThreadToggle()) {
            assertThrows(UnsupportedOperationException.class, () -> jit.allocate(memory.pageBytes()));
            return;
        }
        long code = jit.allocate(memory.pageBytes());
        bytes(code, 4).set(JAVA_BYTE, 0, (byte) 0xC0);
        jit.setWritable(false);
        jit.invalidateInstructionCache(code, 4);
        SystemCallException e = assertThrows(SystemCallException.class, () -> jit.mapAlias(code, memory.pageBytes()));
        assertTrue(e.getMessage().contains("mach_vm_remap"), e.getMessage());
        jit.setWritable(true);
        jit.release(code, memory.pageBytes());
    }
}
