package dev.pagealloc.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pagealloc.api.HugePages;
import dev.pagealloc.api.MemoryTagging;
import dev.pagealloc.api.MemoryTagging.TagCheckMode;
import dev.pagealloc.api.MemoryTagging.TaggingPolicy;
import dev.pagealloc.api.NumaPolicy;
import dev.pagealloc.spi.Backing;
import dev.pagealloc.spi.SystemCallException;
import dev.pagealloc.testkit.sim.SimulatedMte;
import java.lang.reflect.Proxy;
import org.junit.jupiter.api.Test;

/**
 * The Linux MTE calls against the testkit's simulated arm64 kernel: the prctl word for each mode and mask,
 * PROT_MTE where the rules allow it, and what the kernel refuses. Never run on MTE hardware.
 */
class LinuxMemoryTaggingSimulatedTest {

    /** The simulation behind the few {@link LinuxKernel} calls MTE makes. */
    private static LinuxKernel kernel(SimulatedMte sim) {
        return (LinuxKernel) Proxy.newProxyInstance(LinuxKernel.class.getClassLoader(),
                new Class<?>[] {LinuxKernel.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "mprotect" -> sim.mprotect((long) args[0], (long) args[1], (int) args[2]);
                    case "prctl" -> sim.prctl((int) args[0], (long) args[1], (long) args[2], (long) args[3],
                            (long) args[4]);
                    case "errno" -> sim.errno();
                    case "strerror" -> "Invalid argument";
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void shouldSpellTheControlWordOfEachModeFromTheUapiValues() {
        // PR_TAGGED_ADDR_ENABLE 1, PR_MTE_TCF_SYNC 2, PR_MTE_TCF_ASYNC 4, mask << PR_MTE_TAG_SHIFT (3).
        assertEquals(1 | 2 | 0xFFFEL << 3, LinuxMemoryTagging.taggedAddrCtrl(
                MemoryTagging.of(TaggingPolicy.HARDWARE, TagCheckMode.SYNC)));
        assertEquals(1 | 4 | 0x00F0L << 3, LinuxMemoryTagging.taggedAddrCtrl(
                new MemoryTagging(TaggingPolicy.HARDWARE, TagCheckMode.ASYNC, 0x00F0)));
        assertEquals(1 | 2 | 4 | 0xFFFEL << 3, LinuxMemoryTagging.taggedAddrCtrl(
                MemoryTagging.of(TaggingPolicy.HARDWARE, TagCheckMode.ASYMMETRIC)));
        assertEquals(1, LinuxMemoryTagging.taggedAddrCtrl(MemoryTagging.NONE));
        assertEquals(0x20, LinuxAbi.PROT_MTE);
        assertEquals("PROT_READ|PROT_WRITE|PROT_MTE", LinuxAbi.protName(0x23));
        Backing hardware = new Backing(HugePages.systemDefault(), NumaPolicy.none(),
                MemoryTagging.of(TaggingPolicy.HARDWARE, TagCheckMode.SYNC));
        Backing software = new Backing(HugePages.systemDefault(), NumaPolicy.none(),
                MemoryTagging.of(TaggingPolicy.SOFTWARE, TagCheckMode.SYNC));
        assertEquals(0x23, LinuxMemoryTagging.commitProtection(hardware));
        assertEquals(0x03, LinuxMemoryTagging.commitProtection(software), "software tags ask nothing of the kernel");
    }

    @Test
    void shouldEnableChecksAndTagPagesWhereTheKernelAllows() throws SystemCallException {
        SimulatedMte sim = new SimulatedMte(true);
        LinuxMemoryTagging mte = new LinuxMemoryTagging(kernel(sim));
        MemoryTagging sync = MemoryTagging.of(TaggingPolicy.HARDWARE, TagCheckMode.SYNC);
        mte.enableTagChecks(sync);
        assertEquals(LinuxMemoryTagging.taggedAddrCtrl(sync),
                sim.prctl(SimulatedMte.PR_GET_TAGGED_ADDR_CTRL, 0, 0, 0, 0));
        long anonymous = sim.map(8192, true);
        mte.enableTags(anonymous, 8192);
        long pointer = sim.irg(anonymous + 32, 0);
        sim.stg(pointer);
        sim.access(pointer, false);
        long stale = pointer ^ 1L << 56;
        assertEquals(SimulatedMte.SEGV_MTESERR,
                assertThrows(SimulatedMte.TagCheckFault.class, () -> sim.access(stale, true)).code());
        sim.madvise(anonymous, 4096, SimulatedMte.MADV_DONTNEED);
        assertEquals(0, (int) (sim.ldg(anonymous + 32) >>> 56), "MADV_DONTNEED drops the tags with the pages");

        long file = sim.map(4096, false);
        SystemCallException e = assertThrows(SystemCallException.class, () -> mte.enableTags(file, 4096));
        assertEquals("mprotect(0x" + Long.toHexString(file) + ", 4096, PROT_READ|PROT_WRITE|PROT_MTE) -> EINVAL (22):"
                + " Invalid argument", e.getMessage());
    }

    @Test
    void shouldBeRefusedWithoutMte() {
        SimulatedMte sim = new SimulatedMte(false);
        LinuxMemoryTagging mte = new LinuxMemoryTagging(kernel(sim));
        SystemCallException e = assertThrows(SystemCallException.class,
                () -> mte.enableTagChecks(MemoryTagging.of(TaggingPolicy.HARDWARE, TagCheckMode.ASYNC)));
        assertEquals("prctl(PR_SET_TAGGED_ADDR_CTRL, 0x7fff5, 0, 0, 0) -> EINVAL (22): Invalid argument",
                e.getMessage());
        long anonymous = sim.map(4096, true);
        assertThrows(SystemCallException.class, () -> mte.enableTags(anonymous, 4096));
    }
}
