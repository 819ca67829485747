package dev.pagealloc.reliability.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pagealloc.reliability.ChildModules;
import dev.pagealloc.testkit.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Faults from the kernel, each in a child JVM (pagealloc on the module path with native access, the
 * child's own code without it): a low address-space limit ({@code prlimit --as}, setrlimit(2)
 * RLIMIT_AS: "mmap(2) ... will fail with the error ENOMEM upon exceeding this limit"), a mapping
 * headroom a few mappings above the process's count (the allocator's own refusal before the kernel's
 * {@code vm.max_map_count}, mm/mmap.c {@code if (mm->map_count > sysctl_max_map_count) return -ENOMEM}),
 * {@code RLIMIT_MEMLOCK} of zero without {@code CAP_IPC_LOCK} for a locked region (mlock(2): ENOMEM
 * "the caller had a nonzero RLIMIT_MEMLOCK soft resource limit, but tried to lock more memory than the
 * limit permitted"; EPERM when it is zero) and a request for one explicit huge page more than the pool
 * has free (mmap(2) MAP_HUGETLB fails with ENOMEM when the pool cannot reserve the pages,
 * {@code hugetlb_reserve_pages}). Every one must be a clear error naming the call, leave no mapping of
 * the request's size behind and the allocator's figures at zero, and leave the allocator usable.
 *
 * <p>A cgroup memory limit is not tested here: this machine mounts cgroup v2 without controllers
 * ({@code /sys/fs/cgroup/unified}); its memory controller is on the v1 hierarchy, whose
 * {@code memory.limit_in_bytes} charges page faults, not mappings, so a limit shows as the OOM killer or
 * reclaim, not as an error from pagealloc.
 */
class FaultsTest {
    private static final Path PRLIMIT = Path.of("/usr/bin/prlimit");
    private static final Path SETPRIV = Path.of("/usr/bin/setpriv");

    private static ChildJvm child() {
        return ChildModules.withoutNativeAccess(FaultMain.class).timeout(Duration.ofMinutes(2));
    }

    @Test
    void shouldRefuseAReservationPastTheAddressSpaceLimit() {
        assumeTrue(Files.isExecutable(PRLIMIT), "needs util-linux's prlimit");
        // A JVM that fits in 2 GiB of address space: a small heap, code cache and class space.
        ChildJvm.Result result = child().launcher(PRLIMIT.toString(), "--as=2147483648:2147483648", "--")
                .jvmOption("-Xmx64m").jvmOption("-XX:ReservedCodeCacheSize=32m")
                .jvmOption("-XX:CompressedClassSpaceSize=64m").jvmOption("-XX:+UseSerialGC")
                .run("address-space");

        assertRefusedCleanly(result, "KernelException: allocate\\(initialPages=1, maximumPages=1048576\\).*mmap\\(.*"
                + "ENOMEM \\(12\\).*");
    }

    @Test
    void shouldRefuseASplitPastTheMappingHeadroom() {
        assumeTrue(Files.exists(Path.of("/proc/sys/vm/max_map_count")), "Linux only");
        ChildJvm.Result result = child().run("mapping-limit");

        assertRefusedCleanly(result, "MappingLimitExceededException: .*max_map_count.*");
        assertTrue(result.stdout().contains("UNCHANGED READ_WRITE READ"), result.describe());
    }

    @Test
    void shouldRefuseALockedRegionWithoutMemlock() {
        assumeTrue(Files.isExecutable(PRLIMIT) && Files.isExecutable(SETPRIV), "needs prlimit and setpriv");
        ChildJvm.Result result = child().launcher(PRLIMIT.toString(), "--memlock=0:0", SETPRIV.toString(),
                "--bounding-set", "-ipc_lock", "--inh-caps", "-ipc_lock", "--").run("memlock");

        assertRefusedCleanly(result, "\\w+Exception: .*mlock.*RLIMIT_MEMLOCK.*");
    }

    @Test
    void shouldRefuseMoreHugePagesThanThePoolHolds() {
        assumeTrue(Files.exists(Path.of("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages")),
                "needs 2 MiB huge pages");
        ChildJvm.Result result = child().run("huge-pages");

        assertRefusedCleanly(result, "\\w+Exception: .*(huge|HUGE).*");
    }

    private static void assertRefusedCleanly(ChildJvm.Result result, String refusal) {
        assertFalse(result.crashed(), result.describe());
        assertEquals(0, result.exitCode(), result.describe());
        String out = result.stdout();
        String refused = out.lines().filter(l -> l.startsWith("REFUSED ")).findFirst().orElse("");
        assertTrue(Pattern.compile("REFUSED " + refusal, Pattern.DOTALL).matcher(refused).matches(),
                refused + "\n" + result.describe());
        assertTrue(out.contains("NEW-MAPPINGS []"), result.describe());
        out.lines().filter(l -> l.startsWith("AT-ADDRESS ")).forEach(l ->
                assertEquals("AT-ADDRESS none live=Optional.empty", l, result.describe()));
        assertTrue(out.contains("USABLE 42"), result.describe());
        assertTrue(out.contains("STATISTICS live=0 committed=0 reserved=0"), result.describe());
        System.out.println(refused);
    }
}
