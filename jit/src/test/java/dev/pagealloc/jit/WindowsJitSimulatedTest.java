package dev.pagealloc.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.Capabilities.WxStrategy;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Protection;
import dev.pagealloc.testkit.KernelView;
import dev.pagealloc.testkit.sim.InstructionCacheFlush;
import dev.pagealloc.testkit.sim.SimulatedWin32;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The protection flip on a simulated Windows x64 ({@code VirtualProtect} between {@code PAGE_READWRITE}
 * and {@code PAGE_EXECUTE_READ}) with {@code FlushInstructionCache} after every seal, as Microsoft asks
 * of code generators on every architecture. The simulation has no sections, so its dual mapping
 * ({@code CreateFileMappingW} + two {@code MapViewOfFileEx}) is not run here (a mocked kernel checks it in
 * {@code platform-windows}); nothing here has run on Windows.
 */
class WindowsJitSimulatedTest {
    private static final SimulatedWin32 SIM = new SimulatedWin32(64L << 20, 0, 0, false);
    private static final KernelView VIEW = SIM.addressSpace().kernelView();

    @AfterAll
    static void freeTheSimulation() {
        assertTrue(SIM.addressSpace().allocations().isEmpty(), "every test releases what it maps");
        SIM.addressSpace().close();
    }

    @Test
    void shouldFlipAndFlushTheInstructionCacheOnEverySeal() {
        PageAllocator allocator = PageAllocator.builder().withProvider(SimulatedPlatforms.windows(SIM))
                .withPageBytes(4096).withGuardPages(false).build();
        JitMemory jit = JitMemory.builder().withAllocator(allocator).withStrategy(WxStrategy.PROTECTION_FLIP).build();
        try (CodeHeap heap = jit.newHeap()) {
            CodeBuffer code = heap.allocate(6);
            assertEquals(Protection.READ_WRITE, VIEW.mappings(code.address(), 1).getFirst().protection());
            code.write(0, X86.returnInt(42)).seal();
            assertEquals(Protection.READ_EXECUTE, VIEW.mappings(code.address(), 1).getFirst().protection());
            assertEquals(List.of(new InstructionCacheFlush(code.address(), 4096)), SIM.instructionCacheFlushes(),
                    "FlushInstructionCache over the sealed page");
            assertEquals(List.of(), VIEW.writableExecutableMappings());
            code.free();
            assertEquals(Protection.NONE, VIEW.mappings(code.address(), 1).getFirst().protection(),
                    "a freed heap page is made inaccessible");
        }
    }
}
