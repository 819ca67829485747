package dev.pagealloc.macos;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.Capabilities.WxStrategy;
import dev.pagealloc.api.HugePages;
import dev.pagealloc.api.KernelException;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.UnsupportedOptionException;
import dev.pagealloc.macos.MacPurgeableMemory.Volatility;
import dev.pagealloc.spi.PlatformRequest;
import dev.pagealloc.spi.SystemCallException;
import dev.pagealloc.testkit.KernelView;
import dev.pagealloc.testkit.sim.Allocation;
import dev.pagealloc.testkit.sim.InstructionCacheFlush;
import dev.pagealloc.testkit.sim.SimulatedMach;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The macOS extras (purgeable memory, vm_copy, tags, superpages, reusable pages, JIT) on simulated kernels. */
class MacExtrasSimulatedTest {
    private static final SimulatedMach ARM = SimulatedMach.arm64(64L << 20);
    private static final SimulatedMach X86 = SimulatedMach.x86_64(64L << 20);
    private static final SimulatedMachKernel ARM_KERNEL = new SimulatedMachKernel(ARM);
    private static final SimulatedMachKernel X86_KERNEL = new SimulatedMachKernel(X86);

    @AfterAll
    static void freeTheSimulations() {
        assertTrue(ARM.addressSpace().allocations().isEmpty(), "every test releases what it maps");
        assertTrue(X86.addressSpace().allocations().isEmpty(), "every test releases what it maps");
        ARM.addressSpace().close();
        X86.addressSpace().close();
    }

    private static MacVirtualMemory memory(SimulatedMachKernel kernel) {
        return (MacVirtualMemory) kernel.provider().open(PlatformRequest.NONE);
    }

    @SuppressWarnings("restricted") // see the SAFETY line
    private static MemorySegment bytes(long address, long byteSize) {
        // SAFETY: the simulation's pages are real host memory it owns until closed.
        return MemorySegment.ofAddress(address).reinterpret(byteSize);
    }

    @Test
    void shouldProbeThePageSizeAndFeaturesOfEachSimulatedMac() {
        MacVirtualMemory arm = memory(ARM_KERNEL);
        MacVirtualMemory x86 = memory(X86_KERNEL);
        assertEquals(16384, arm.pageBytes());
        assertEquals(4096, x86.pageBytes());
        assertEquals("aarch64", arm.capabilities().architecture());
        assertTrue(arm.capabilities().hugePageSizes().isEmpty(), "no superpages on Apple silicon");
        assertEquals(2L << 20, x86.capabilities().hugePageSizes().getFirst().pageBytes());
        assertEquals(java.util.Set.of(WxStrategy.PROTECTION_FLIP, WxStrategy.DUAL_MAPPING),
                arm.capabilities().wxStrategies(),
                "never PER_THREAD_TOGGLE: pthread_jit_write_protect_np from Java kills the JVM under HotSpot");
        assertEquals(java.util.Set.of(WxStrategy.PROTECTION_FLIP, WxStrategy.DUAL_MAPPING),
                x86.capabilities().wxStrategies());
        assertEquals("x86_64", x86.capabilities().architecture());
        assertEquals(16L << 30, arm.capabilities().totalMemoryBytes());
        assertEquals(1, arm.capabilities().numaNodes().size());
        assertEquals("macOS 15.0", arm.capabilities().operatingSystem());
    }

    @Test
    void shouldTagEveryAllocationOfARegion() {
        PageAllocator allocator = PageAllocator.builder().withProvider(ARM_KERNEL.provider()).build();
        try (Region region = allocator.allocate(2, 8)) {
            region.decommit(0, region.protectionGranuleBytes());
            for (Allocation a : ARM.addressSpace().allocations()) {
                assertEquals(MachAbi.VM_MEMORY_APPLICATION_SPECIFIC_1, a.tag(), a.toString());
            }
            assertTrue(ARM.addressSpace().allocations().size() >= 2, "decommit mapped fresh memory over the range");
        }
    }

    @Test
    void shouldBackRegionsWithSuperpagesOnIntelAndRefuseThemOnAppleSilicon() {
        PageAllocator x86 = PageAllocator.builder().withProvider(X86_KERNEL.provider())
                .withHugePages(HugePages.explicit(2L << 20)).withPageBytes(2L << 20).build();
        try (Region region = x86.allocate(1, 2)) {
            assertEquals(2L << 20, region.protectionGranuleBytes());
            assertEquals(0, region.address() % (2L << 20));
            Allocation a = X86.addressSpace().allocationAt(region.address()).orElseThrow();
            assertEquals(2L << 20, a.superpageBytes());
            assertEquals(2L << 20, X86.wiredBytes(), "the kernel wires superpages when it maps them");
            region.segment().set(JAVA_BYTE, 0, (byte) 9);
            region.decommit(0, 2L << 20);
            region.recommit(0, 2L << 20);
            assertEquals(0, region.segment().get(JAVA_BYTE, 0));
            assertEquals(2L << 20, X86.addressSpace().allocationAt(region.address()).orElseThrow().superpageBytes(),
                    "decommit replaced superpages with superpages");
        }
        UnsupportedOptionException e = assertThrows(UnsupportedOptionException.class, () -> PageAllocator.builder()
                .withProvider(ARM_KERNEL.provider()).withHugePages(HugePages.explicit(2L << 20)).build());
        assertEquals("build(): hugePages=explicit(2 MiB) is not available: this platform offers huge page sizes []",
                e.getMessage());
    }

    @Test
    void shouldCopyPagesWithVmCopy() throws SystemCallException {
        MacVirtualMemory memory = memory(ARM_KERNEL);
        long page = memory.pageBytes();
        long a = memory.reserve(4 * page, page, dev.pagealloc.spi.Backing.DEFAULT);
        memory.commit(a, 4 * page, dev.pagealloc.spi.Backing.DEFAULT);
        bytes(a, page).fill((byte) 0x5C);
        memory.copyPages(a, a + 2 * page, page);
        assertArrayEquals(bytes(a, page).toArray(JAVA_BYTE), bytes(a + 2 * page, page).toArray(JAVA_BYTE));
        memory.protect(a + 3 * page, page, dev.pagealloc.api.Protection.READ);
        SystemCallException e = assertThrows(SystemCallException.class, () -> memory.copyPages(a, a + 3 * page, page));
        assertEquals("KERN_PROTECTION_FAILURE", e.error().name());
        memory.release(a, 4 * page);
    }

    @Test
    void shouldLetTheKernelEmptyVolatilePurgeableMemory() throws SystemCallException {
        MacVirtualMemory memory = memory(ARM_KERNEL);
        MacPurgeableMemory purgeable = new MacPurgeableMemory(memory);
        long size = 2 * memory.pageBytes();
        long a = purgeable.allocate(size);
        bytes(a, size).fill((byte) 3);
        assertEquals(Volatility.NON_VOLATILE, purgeable.setState(a, Volatility.VOLATILE));
        assertEquals(Volatility.VOLATILE, purgeable.setState(a, Volatility.NON_VOLATILE), "not purged yet");
        assertEquals(3, bytes(a, size).get(JAVA_BYTE, size - 1), "contents kept while not purged");
        purgeable.setState(a, Volatility.VOLATILE);
        ARM.simulateMemoryPressure();
        assertEquals(Volatility.EMPTY, purgeable.state(a));
        assertEquals(Volatility.EMPTY, purgeable.setState(a, Volatility.NON_VOLATILE), "EMPTY reports the loss");
        assertEquals(0, bytes(a, size).get(JAVA_BYTE, size - 1), "an emptied allocation reads zero");
        purgeable.release(a, size);

        long plain = memory.reserve(size, memory.pageBytes(), dev.pagealloc.spi.Backing.DEFAULT);
        memory.commit(plain, size, dev.pagealloc.spi.Backing.DEFAULT);
        SystemCallException e =
                assertThrows(SystemCallException.class, () -> purgeable.setState(plain, Volatility.VOLATILE));
        assertEquals("mach_vm_purgable_control(mach_task_self(), " + dev.pagealloc.api.Units.hex(plain)
                + ", VM_PURGABLE_SET_STATE, &VOLATILE) -> KERN_INVALID_ARGUMENT (4): (os/kern) invalid argument",
                e.getMessage());
        memory.release(plain, size);
    }

    @Test
    void shouldKeepReusablePagesUntilTheKernelReclaimsThem() throws SystemCallException {
        MacVirtualMemory memory = memory(ARM_KERNEL);
        long page = memory.pageBytes();
        long a = memory.reserve(2 * page, page, dev.pagealloc.spi.Backing.DEFAULT);
        memory.commit(a, 2 * page, dev.pagealloc.spi.Backing.DEFAULT);
        bytes(a, 2 * page).fill((byte) 7);
        memory.markReusable(a, 2 * page);
        assertEquals(2 * page, ARM.addressSpace().reusableBytes());
        assertEquals(7, bytes(a, 1).get(JAVA_BYTE, 0), "MADV_FREE_REUSABLE does not zero: why discard does not use it");
        ARM.simulateMemoryPressure();
        assertEquals(0, bytes(a, 1).get(JAVA_BYTE, 0));
        memory.markReused(a, 2 * page);
        assertEquals(0, ARM.addressSpace().reusableBytes());
        memory.release(a, 2 * page);
    }

    @Test
    void shouldDualMapCodeReadExecuteWhileItsPagesStayWritable() throws SystemCallException {
        MacVirtualMemory memory = memory(ARM_KERNEL);
        MacJitMemory jit = new MacJitMemory(memory);
        long size = 2 * memory.pageBytes();
        long code = memory.reserve(size, memory.pageBytes(), dev.pagealloc.spi.Backing.DEFAULT);
        memory.commit(code, size, dev.pagealloc.spi.Backing.DEFAULT);
        bytes(code, size).set(JAVA_BYTE, 5, (byte) 0xC3);
        long alias = jit.mapAlias(code, size);
        jit.invalidateInstructionCache(alias, size);
        assertEquals(new InstructionCacheFlush(alias, size), ARM.bsd().icacheInvalidations().getLast());
        KernelView view = ARM.addressSpace().kernelView();
        assertEquals(List.of(new KernelView.Mapping(alias, alias + size, Protection.READ_EXECUTE)),
                view.mappings(alias, size));
        assertEquals(List.of(new KernelView.Mapping(code, code + size, Protection.READ_WRITE)),
                view.mappings(code, size), "the first address stays writable");
        assertEquals(code, ARM.sharedWith(alias).orElseThrow(), "the alias shares the code's pages");
        assertEquals((byte) 0xC3, bytes(alias, size).get(JAVA_BYTE, 5));
        assertTrue(view.writableExecutableMappings().isEmpty(), "W^X: no page is both");
        jit.release(alias, size);
        memory.release(code, size);
    }

    @Test
    void shouldDualMapMapJitPagesWithinTheTask() throws SystemCallException {
        MacVirtualMemory memory = memory(ARM_KERNEL);
        MacJitMemory jit = new MacJitMemory(memory);
        long size = memory.pageBytes();
        long mapJit = ARM.bsd().mmap(0, size, 7, 0x1000 | 0x2 | 0x800, -1, 0);
        long alias = jit.mapAlias(mapJit, size);
        assertEquals(mapJit, ARM.sharedWith(alias).orElseThrow(), "XNU lets a task remap its own MAP_JIT memory");
        jit.release(alias, size);
        jit.release(mapJit, size);
    }

    @Test
    void shouldUnmapTheAliasWhenItCannotBeMadeReadExecute() throws SystemCallException {
        MacVirtualMemory memory = memory(ARM_KERNEL);
        MacJitMemory jit = new MacJitMemory(memory);
        long size = memory.pageBytes();
        long code = memory.reserve(size, size, dev.pagealloc.spi.Backing.DEFAULT);
        int before = ARM.addressSpace().allocations().size();
        ARM.failures().failNext("mach_vm_protect", SimulatedMach.KERN_PROTECTION_FAILURE);
        SystemCallException e = assertThrows(SystemCallException.class, () -> jit.mapAlias(code, size));
        assertTrue(e.getMessage().startsWith("mach_vm_protect("), e.getMessage());
        assertEquals(before, ARM.addressSpace().allocations().size(), "the alias is gone again");
        memory.release(code, size);
    }

    @Test
    void shouldRollBackAFailedReserveWithoutUnmappingWhatAnotherThreadMappedInTheTrimmedHead() {
        SimulatedMach sim = SimulatedMach.arm64(16L << 20);
        try {
            SimulatedMachKernel inner = new SimulatedMachKernel(sim);
            long page = 16384;
            long[] foreign = new long[2];
            // Another thread maps the pages reserve() has just given back, before reserve() fails.
            MachKernel racing = (MachKernel) java.lang.reflect.Proxy.newProxyInstance(MachKernel.class.getClassLoader(),
                    new Class<?>[] {MachKernel.class}, (proxy, method, args) -> {
                        Object result = method.invoke(inner, args);
                        if (method.getName().equals("machVmDeallocate") && (int) result == SimulatedMach.KERN_SUCCESS
                                && foreign[0] == 0) {
                            MemorySegment at = MemorySegment.ofArray(new long[] {(long) args[1]});
                            assertEquals(SimulatedMach.KERN_SUCCESS,
                                    sim.machVmAllocate(SimulatedMach.TASK_SELF, at, page, 0));
                            foreign[0] = (long) args[1];
                            foreign[1] = (long) args[2];
                            sim.failures().failNext("mach_vm_protect", SimulatedMach.KERN_RESOURCE_SHORTAGE);
                        }
                        return result;
                    });
            MemorySegment first = MemorySegment.ofArray(new long[1]);
            assertEquals(SimulatedMach.KERN_SUCCESS, sim.machVmAllocate(SimulatedMach.TASK_SELF, first, page, 1),
                    "one page first, so that the next allocation is not 2 MiB aligned and reserve() trims a head");
            MacVirtualMemory memory = new MacVirtualMemory(racing,
                    Capabilities.builder().platform("macos").pageBytes(page).build(), 240);
            SystemCallException e = assertThrows(SystemCallException.class,
                    () -> memory.reserve(4 * page, 2L << 20, dev.pagealloc.spi.Backing.DEFAULT));
            assertEquals("KERN_RESOURCE_SHORTAGE", e.error().name());
            assertTrue(foreign[0] != 0, "reserve() trimmed a head");
            assertEquals(Allocation.Kind.MACH_VM_ALLOCATE,
                    sim.addressSpace().allocationAt(foreign[0]).orElseThrow().kind());
            assertEquals(0, sim.addressSpace().allocationAt(foreign[0]).orElseThrow().tag(),
                    "the other thread's mapping survives the rollback");
            long aligned = foreign[0] + foreign[1];
            assertTrue(sim.addressSpace().kernelView().mappings(aligned, 4 * page + (2L << 20) - page).isEmpty(),
                    "what reserve() still owned is released");
        } finally {
            sim.addressSpace().close();
        }
    }

    @Test
    void shouldNotBindTheJitWriteProtectSwitch() {
        assertFalse(FfmMachKernel.declared().containsKey("pthread_jit_write_protect_np"),
                "called from Java under HotSpot it makes the thread return into code it cannot execute");
        assertTrue(java.util.Arrays.stream(MachKernel.class.getDeclaredMethods())
                .noneMatch(m -> m.getName().startsWith("pthreadJit")));
    }

    @Test
    void shouldReportAnX86JvmUnderRosettaAsX86WithItsPageSize() {
        SimulatedMach rosetta = SimulatedMach.x86_64UnderRosetta(8L << 20);
        try {
            MacVirtualMemory memory = memory(new SimulatedMachKernel(rosetta));
            Capabilities c = memory.capabilities();
            assertEquals("x86_64", c.architecture(), "hw.optional.arm64 is 1 for every process on Apple silicon");
            assertEquals(4096, c.pageBytes());
            assertTrue(c.operatingSystem().endsWith(", this x86_64 process translated by Rosetta 2 on arm64"),
                    c.operatingSystem());
            assertTrue(c.hugePageSizes().isEmpty(), "no superpages on an arm64 kernel");
            assertEquals("aarch64", memory(ARM_KERNEL).capabilities().architecture());
            assertEquals("macOS 15.0", memory(ARM_KERNEL).capabilities().operatingSystem());
        } finally {
            rosetta.addressSpace().close();
        }
    }

    @Test
    void shouldReportAKernelRefusalWithTheMachCallInWords() {
        PageAllocator allocator = PageAllocator.builder().withProvider(ARM_KERNEL.provider()).build();
        try (Region region = allocator.allocate(1, 4)) {
            ARM.failures().failNext("mach_vm_protect", SimulatedMach.KERN_RESOURCE_SHORTAGE);
            KernelException e = assertThrows(KernelException.class, () -> region.grow(1));
            long at = region.address() + 65536;
            assertEquals("grow(additionalPages=1): cannot commit 65536 bytes at " + dev.pagealloc.api.Units.hex(at)
                    + ": mach_vm_protect(mach_task_self(), " + dev.pagealloc.api.Units.hex(at)
                    + ", 65536, FALSE, VM_PROT_READ|VM_PROT_WRITE) -> KERN_RESOURCE_SHORTAGE (6): (os/kern) "
                    + "resource shortage",
                    e.getMessage());
            assertEquals(1, region.pages(), "a failed grow leaves the region as it was");
        }
    }

    @Test
    void shouldOpenOnlyWhenTheProviderBelievesItIsOnMacOs() {
        MacPlatformProvider elsewhere = new MacPlatformProvider(ARM_KERNEL, Optional::empty, "Linux");
        assertFalse(elsewhere.support().supported());
        assertThrows(UnsupportedOperationException.class, () -> elsewhere.open(PlatformRequest.NONE));
    }
}
