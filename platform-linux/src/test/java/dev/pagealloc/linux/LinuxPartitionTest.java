package dev.pagealloc.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.MemoryPartition;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import dev.pagealloc.testkit.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Partitions against the real kernel: a locked guaranteed minimum shows in {@code /proc/self/status}
 * {@code VmLck} from the moment the partition is built, stays there as its regions take it over (their
 * pages locked, the reserve's unlocked and returned), and leaves on close; a lock past
 * {@code RLIMIT_MEMLOCK} is refused naming the limit (in a child JVM with the limit lowered and
 * {@code CAP_IPC_LOCK} dropped, since root ignores the limit).
 */
// Reads the real Linux kernel's view of the process.
@EnabledOnOs(OS.LINUX)
class LinuxPartitionTest {
    private static final long PAGE = 4096;
    private final ProcKernelView kernel = new ProcKernelView();

    private long locked() {
        return kernel.lockedBytes().orElseThrow();
    }

    @Test
    void shouldHoldALockedGuaranteedMinimumInVmLck() {
        long before = locked();
        MemoryPartition partition = MemoryPartition.builder("locked").maximumBytes(1024 * PAGE)
                .guaranteedBytes(64 * PAGE).flags(MemoryPartition.Flag.LOCKED).build();
        assertEquals(64 * PAGE, partition.statistics().reserveBytes());
        assertEquals(before + 64 * PAGE, locked(), "the guaranteed minimum is locked up front");
        PageAllocator allocator = PageAllocator.builder().withPartition(partition).withPageBytes(PAGE).build();
        Region region = allocator.allocate(16, 1024);
        assertTrue(region.appliedOptions().locked() && region.appliedOptions().populated());
        assertEquals(48 * PAGE, partition.statistics().reserveBytes());
        assertEquals(before + 64 * PAGE, locked(), "16 pages moved from the reserve to the region, still locked");
        region.grow(80);
        assertEquals(0, partition.statistics().reserveBytes());
        assertEquals(before + 96 * PAGE, locked(), "past the minimum, every committed page is locked");
        region.decommit(0, 64 * PAGE);
        assertEquals(32 * PAGE, partition.statistics().reserveBytes());
        assertEquals(before + 64 * PAGE, locked(), "below the minimum the reserve is locked again");
        region.deallocate();
        assertEquals(before + 64 * PAGE, locked());
        partition.close();
        assertEquals(before, locked(), "closing unlocks and releases the reserve");
    }

    @Test
    void shouldNameRlimitMemlockWhenTheLockIsRefused() throws Exception {
        Path setpriv = Path.of("/usr/bin/setpriv");
        Path prlimit = Path.of("/usr/bin/prlimit");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(setpriv) && Files.isExecutable(prlimit),
                "needs util-linux's prlimit and setpriv to lower the limit and drop CAP_IPC_LOCK");
        ChildJvm.Result result = ChildJvm.of(PartitionLockChild.class)
                .launcher(prlimit.toString(), "--memlock=262144:262144", setpriv.toString(), "--bounding-set",
                        "-ipc_lock", "--inh-caps", "-ipc_lock", "--")
                .timeout(Duration.ofMinutes(2)).run();
        assertEquals(0, result.exitCode(), result::describe);
        String out = result.stdout();
        String reserve = line(out, PartitionLockChild.RESERVE);
        assertTrue(reserve.matches(PartitionLockChild.RESERVE
                + "MemoryPartition\\.build\\(name=tenant, maximumBytes=8388608, guaranteedBytes=1048576,"
                + " parent=host\\):"
                + " cannot hold the guaranteed minimum of 1048576 bytes at 0x\\p{XDigit}+:"
                + " mlock\\(0x\\p{XDigit}+, 1048576\\) -> ENOMEM \\(12\\): Cannot allocate memory;"
                + " RLIMIT_MEMLOCK is 262144 bytes \\(soft\\), 262144 \\(hard\\): raise it .*"), reserve);
        String grow = line(out, PartitionLockChild.GROW);
        assertTrue(grow.matches(PartitionLockChild.GROW + "grow\\(additionalPages=256\\): cannot lock 1048576 bytes at"
                + " 0x\\p{XDigit}+: mlock\\(0x\\p{XDigit}+, 1048576\\) -> ENOMEM \\(12\\): Cannot allocate memory;"
                + " RLIMIT_MEMLOCK is 262144 bytes \\(soft\\), 262144 \\(hard\\).*"), grow);
        assertEquals(String.valueOf(PAGE),
                line(out, PartitionLockChild.USED).substring(PartitionLockChild.USED.length()),
                "the refused reserve and grow left only the region's first page charged");
    }

    private static String line(String out, String label) {
        int at = out.indexOf(label);
        assertTrue(at >= 0, () -> "no '" + label + "' in:\n" + out);
        return out.substring(at).lines().findFirst().orElseThrow();
    }
}
