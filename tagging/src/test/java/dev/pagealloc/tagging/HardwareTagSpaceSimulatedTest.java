package dev.pagealloc.tagging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.MemoryTagging;
import dev.pagealloc.api.MemoryTagging.TagCheckMode;
import dev.pagealloc.api.MemoryTagging.TaggingPolicy;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.TagMismatchException;
import dev.pagealloc.api.TagSpace;
import dev.pagealloc.testkit.sim.SimulatedMte;
import org.junit.jupiter.api.Test;

/**
 * The MTE tag space on the testkit's simulated arm64 CPU and kernel: tags set with IRG/STG, read with LDG,
 * checked by the (simulated) CPU, lost on MADV_DONTNEED and set again. Never run on MTE hardware.
 */
class HardwareTagSpaceSimulatedTest {
    private static final long BYTES = 64 * 1024;

    /** The simulated CPU behind the instructions, the {@code stg} loop as the stub runs it. */
    private static MteInstructions cpu(SimulatedMte sim) {
        return new MteInstructions() {
            @Override
            public long irg(long address, long excludeMask) {
                return sim.irg(address, excludeMask);
            }

            @Override
            public long ldg(long address) {
                return sim.ldg(address);
            }

            @Override
            public void setTags(long taggedAddress, long byteLength) {
                for (long o = 0; o < byteLength; o += 16) {
                    sim.stg(taggedAddress + o);
                }
            }
        };
    }

    private static HardwareTagSpace space(SimulatedMte sim, MemoryTagging tagging, long base) {
        long control = 1 | switch (tagging.mode()) {
            case SYNC -> SimulatedMte.PR_MTE_TCF_SYNC;
            case ASYNC -> SimulatedMte.PR_MTE_TCF_ASYNC;
            default -> SimulatedMte.PR_MTE_TCF_SYNC | SimulatedMte.PR_MTE_TCF_ASYNC;
        } | (long) tagging.includeMask() << SimulatedMte.PR_MTE_TAG_SHIFT;
        assertEquals(0, sim.prctl(SimulatedMte.PR_SET_TAGGED_ADDR_CTRL, control, 0, 0, 0));
        assertEquals(0, sim.mprotect(base, BYTES, SimulatedMte.PROT_READ | SimulatedMte.PROT_WRITE
                | SimulatedMte.PROT_MTE));
        return HardwareTagSpace.over(tagging, base, BYTES, cpu(sim));
    }

    @Test
    void shouldTagBlocksThatTheCpuThenChecks() {
        SimulatedMte sim = new SimulatedMte(true);
        long base = sim.map(BYTES, true);
        HardwareTagSpace tags = space(sim, MemoryTagging.of(TaggingPolicy.HARDWARE, TagCheckMode.SYNC), base);
        long a = tags.tagNew(0, 48);
        long b = tags.tagNew(48, 32);
        assertNotEquals(TagSpace.tagOf(a), TagSpace.tagOf(b), "neighbours never share a tag");
        assertNotEquals(0, TagSpace.tagOf(a), "tag 0 is excluded by the default mask");
        sim.access(a + 40, true);
        assertEquals(SimulatedMte.SEGV_MTESERR,
                assertThrows(SimulatedMte.TagCheckFault.class, () -> sim.access(a + 48, false)).code(),
                "a linear overflow into the neighbour faults in the CPU");
        assertThrows(TagMismatchException.class, () -> tags.check(a + 40, 16, false), "and in the Java check");
        long after = tags.retag(a, 48);
        assertNotEquals(TagSpace.tagOf(a), TagSpace.tagOf(after));
        assertThrows(SimulatedMte.TagCheckFault.class, () -> sim.access(a, false), "use after free faults");
        TagMismatchException e = assertThrows(TagMismatchException.class, () -> tags.retag(a, 48));
        assertTrue(e.getMessage().startsWith("free("), "a double free is refused: " + e.getMessage());
    }

    @Test
    void shouldTagAgainAfterDiscardDroppedTheTags() {
        SimulatedMte sim = new SimulatedMte(true);
        long base = sim.map(BYTES, true);
        HardwareTagSpace tags = space(sim, MemoryTagging.of(TaggingPolicy.HARDWARE, TagCheckMode.SYNC), base);
        long block = tags.tagNew(4096, 64);
        sim.madvise(base + 4096, 4096, SimulatedMte.MADV_DONTNEED);
        assertEquals(0, tags.tagAt(4096), "MADV_DONTNEED: the kernel drops the tags with the pages");
        assertThrows(SimulatedMte.TagCheckFault.class, () -> sim.access(block, false));
        tags.setTags(4096, 64, TagSpace.tagOf(block));
        sim.access(block + 63, false);
        assertEquals(block, tags.check(block, 64, false) + base | (long) TagSpace.tagOf(block) << 56);
    }

    @Test
    void shouldReportAsymmetricStoresLater() {
        SimulatedMte sim = new SimulatedMte(true);
        long base = sim.map(BYTES, true);
        HardwareTagSpace tags = space(sim, MemoryTagging.of(TaggingPolicy.HARDWARE, TagCheckMode.ASYMMETRIC), base);
        long block = tags.tagNew(0, 16);
        long stale = block ^ 1L << 56;
        sim.access(stale, true);
        assertEquals(SimulatedMte.SEGV_MTEAERR,
                assertThrows(SimulatedMte.TagCheckFault.class, sim::enterKernel).code());
        assertThrows(SimulatedMte.TagCheckFault.class, () -> sim.access(stale, false));
        tags.check(stale, 4, true);
        assertThrows(TagMismatchException.class, tags::throwPendingMismatch);
    }

    @Test
    void shouldRefuseRegionsNotTaggedInHardware() {
        try (Region region = PageAllocator.builder().withMemoryTagging(TaggingPolicy.BEST_AVAILABLE,
                TagCheckMode.SYNC).build().allocate(1, 1)) {
            assertEquals(TaggingPolicy.SOFTWARE, region.appliedOptions().memoryTagging().policy(),
                    "this machine has no MTE, so the best available is software");
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> HardwareTagSpace.of(region, cpu(new SimulatedMte(false))));
            assertTrue(e.getMessage().endsWith("not HARDWARE"), e.getMessage());
        }
        assertThrows(UnsupportedOperationException.class, () -> JitMteInstructions.install(null),
                "the stubs are arm64 code");
    }
}
