package dev.pagealloc.jit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.Capabilities.WxStrategy;
import dev.pagealloc.api.KernelException;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Protection;
import dev.pagealloc.testkit.KernelView;
import dev.pagealloc.testkit.sim.InstructionCacheFlush;
import dev.pagealloc.testkit.sim.SimulatedMach;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The JIT layer on a simulated Apple silicon Mac (and an Intel one): dual mapping by {@code mach_vm_remap}
 * of ordinary, non-{@code MAP_JIT} memory, {@code sys_icache_invalidate} on every seal, {@code brk #0} over
 * freed code, and never a page both writable and executable in the simulated kernel's page table. The
 * code cannot run here (the host is x86-64, and the simulation's alias is a copy, not shared memory);
 * see the README for what has run on a real Mac (nothing).
 */
class MacJitSimulatedTest {
    private static final SimulatedMach ARM = SimulatedMach.arm64(64L << 20);
    private static final SimulatedMach INTEL = SimulatedMach.x86_64(64L << 20);
    private static final KernelView VIEW = ARM.addressSpace().kernelView();
    /** {@code mov w0, #42; ret} on arm64. */
    private static final byte[] RETURN_42 = {0x40, 0x05, (byte) 0x80, 0x52, (byte) 0xC0, 0x03, 0x5F, (byte) 0xD6};

    @AfterAll
    static void freeTheSimulations() {
        assertTrue(ARM.addressSpace().allocations().isEmpty(), "every test releases what it maps");
        ARM.addressSpace().close();
        INTEL.addressSpace().close();
    }

    private static JitMemory jit(SimulatedMach sim, WxStrategy strategy) {
        PageAllocator allocator = PageAllocator.builder().withProvider(SimulatedPlatforms.mac(sim))
                .withPageBytes(sim == ARM ? 16384 : 4096).withGuardPages(false).build();
        JitMemory.Builder builder = JitMemory.builder().withAllocator(allocator);
        return (strategy == null ? builder : builder.withStrategy(strategy)).build();
    }

    private static Protection protectionAt(long address) {
        List<KernelView.Mapping> mappings = VIEW.mappings(address, 1);
        return mappings.isEmpty() ? null : mappings.getFirst().protection();
    }

    @Test
    void shouldDualMapByRemapAndFlushTheInstructionCacheOnSeal() {
        JitMemory jit = jit(ARM, null);
        assertEquals(WxStrategy.DUAL_MAPPING, jit.strategy(), "preferred where the platform offers it");
        assertTrue(jit.describe().contains("mach_vm_remap"), jit.describe());
        try (CodeBuffer code = jit.allocate(100)) {
            assertEquals(16384, code.byteSize(), "a 16 KiB page on Apple silicon");
            assertNotEquals(code.writableAddress(), code.address());
            assertEquals(Protection.READ_WRITE, protectionAt(code.writableAddress()));
            assertEquals(Protection.READ_EXECUTE, protectionAt(code.address()));
            assertEquals(List.of(), VIEW.writableExecutableMappings());

            code.segment().copyFrom(MemorySegment.ofArray(RETURN_42));
            int flushes = ARM.bsd().icacheInvalidations().size();
            code.seal();
            assertEquals(List.of(new InstructionCacheFlush(code.address(), code.byteSize())),
                    ARM.bsd().icacheInvalidations().subList(flushes, ARM.bsd().icacheInvalidations().size()),
                    "sys_icache_invalidate over the executable view, once");
            assertEquals(Protection.READ_WRITE, protectionAt(code.writableAddress()), "no protection change");
            assertEquals(Protection.READ_EXECUTE, protectionAt(code.address()));
            assertEquals(List.of(), VIEW.writableExecutableMappings());

            long writable = code.writableAddress();
            long executable = code.address();
            code.free();
            assertEquals(null, protectionAt(writable), "both unmapped");
            assertEquals(null, protectionAt(executable));
        }
    }

    @Test
    void shouldWriteBrkOverFreedHeapCode() {
        JitMemory jit = jit(ARM, WxStrategy.DUAL_MAPPING);
        try (CodeHeap heap = jit.newHeap()) {
            CodeBuffer keep = heap.install(RETURN_42);
            CodeBuffer gone = heap.install(RETURN_42);
            assertEquals(keep.address() + 16, gone.address(), "packed at 16 bytes");
            assertEquals(1, heap.chunkCount());
            int flushes = ARM.bsd().icacheInvalidations().size();
            gone.free();
            byte[] brk = readWritable(gone.writableAddress(), 16);
            for (int i = 0; i < 16; i += 4) {
                assertEquals(0x00, brk[i]);
                assertEquals(0x00, brk[i + 1]);
                assertEquals(0x20, brk[i + 2]);
                assertEquals((byte) 0xD4, brk[i + 3], "brk #0 = 0xD4200000, little-endian");
            }
            assertEquals(new InstructionCacheFlush(gone.address(), 16), ARM.bsd().icacheInvalidations().get(flushes),
                    "the traps are made visible to instruction fetch too");
            assertEquals(CodeState.EXECUTABLE, keep.state());
        }
    }

    @SuppressWarnings("restricted")
    private static byte[] readWritable(long address, int length) {
        // The simulation's pages are host memory it keeps mapped read-write at the writable view.
        return MemorySegment.ofAddress(address).reinterpret(length).toArray(JAVA_BYTE);
    }

    @Test
    void shouldFlipProtectionsWithoutEverMappingWriteAndExecute() {
        JitMemory jit = jit(ARM, WxStrategy.PROTECTION_FLIP);
        try (CodeBuffer code = jit.allocate(1)) {
            assertEquals(code.writableAddress(), code.address());
            assertEquals(Protection.READ_WRITE, protectionAt(code.address()));
            code.write(0, RETURN_42).seal();
            assertEquals(Protection.READ_EXECUTE, protectionAt(code.address()));
            code.makeWritable();
            assertEquals(Protection.READ_WRITE, protectionAt(code.address()));
            assertEquals(List.of(), VIEW.writableExecutableMappings());
            code.seal();
        }
    }

    @Test
    void shouldLeaveARefusedSealWritable() {
        JitMemory jit = jit(ARM, WxStrategy.PROTECTION_FLIP);
        try (CodeBuffer code = jit.allocate(1)) {
            MemorySegment view = code.segment();
            view.copyFrom(MemorySegment.ofArray(RETURN_42));
            ARM.failures().failNext("mach_vm_protect", SimulatedMach.KERN_PROTECTION_FAILURE);
            KernelException e = assertThrows(KernelException.class, code::seal);
            assertTrue(e.getMessage().contains("mach_vm_protect("), e.getMessage());
            assertEquals(CodeState.WRITABLE, code.state(), "nothing sealed");
            assertEquals(Protection.READ_WRITE, protectionAt(code.address()), "the pages kept their protection");
            assertThrows(IllegalStateException.class, () -> view.get(JAVA_BYTE, 0), "the view was closed");
            assertEquals(0, jit.statistics().seals());
            code.seal();
            assertEquals(Protection.READ_EXECUTE, protectionAt(code.address()));
        }
    }

    @Test
    void shouldLeaveNothingMappedWhenTheRemapIsRefused() {
        JitMemory jit = jit(ARM, WxStrategy.DUAL_MAPPING);
        int before = ARM.addressSpace().allocations().size();
        ARM.failures().failNext("mach_vm_remap", SimulatedMach.KERN_NO_SPACE);
        KernelException e = assertThrows(KernelException.class, () -> jit.allocate(1));
        assertTrue(e.getMessage().startsWith("JitMemory.allocate(byteSize=1): cannot map 16384 bytes of code twice:"
                + " mach_vm_remap("), e.getMessage());
        assertEquals(before, ARM.addressSpace().allocations().size(), "the read-write half was released");
        assertEquals(0, jit.statistics().allocations());
        assertEquals(0, jit.statistics().mappedChunks());
    }

    @Test
    void shouldRefuseThePerThreadToggle() {
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> jit(ARM, WxStrategy.PER_THREAD_TOGGLE));
        assertTrue(e.getMessage().startsWith("JitMemory.Builder.build(strategy=PER_THREAD_TOGGLE):"
                + " pthread_jit_write_protect_np switches every MAP_JIT region"), e.getMessage());
    }

    @Test
    void shouldLeaveTheFlushToTheSystemOnAnIntelMac() {
        JitMemory jit = jit(INTEL, null);
        assertEquals(WxStrategy.DUAL_MAPPING, jit.strategy());
        try (CodeBuffer code = jit.allocate(1)) {
            code.write(0, new byte[] {(byte) 0xC3}).seal();
            assertEquals(List.of(new InstructionCacheFlush(code.address(), 4096)), INTEL.bsd().icacheInvalidations(),
                    "sys_icache_invalidate is called; on Intel it is Apple's no-op");
        }
    }
}
