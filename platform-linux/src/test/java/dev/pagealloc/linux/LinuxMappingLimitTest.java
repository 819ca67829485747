package dev.pagealloc.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.testkit.ChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The real kernel's {@code vm.max_map_count}: a child JVM ({@link MappingLimitChild}) fragments one
 * region page by page until pagealloc refuses, and the refusal comes with the default headroom (an
 * eighth of the limit) still free, counted in {@code /proc/self/maps}; the JVM then starts hundreds of
 * threads, loads classes and churns its heap, and exits normally.
 */
// Reads the real Linux kernel's /proc; other OSes have no such limit.
@EnabledOnOs(OS.LINUX)
class LinuxMappingLimitTest {

    private static long figure(String stdout, String label) {
        int at = stdout.indexOf(label);
        assertTrue(at >= 0, () -> "no '" + label + "' in:\n" + stdout);
        return Long.parseLong(stdout.substring(at + label.length()).lines().findFirst().orElseThrow().strip());
    }

    @Test
    void shouldRefuseBeforeTheLimitAndLeaveTheJvmRoomToRun() throws IOException {
        long limit = Long.parseLong(Files.readAllLines(Path.of("/proc/sys/vm/max_map_count")).getFirst().strip());
        long headroom = limit / 8;
        ChildJvm.Result result = ChildJvm.of(MappingLimitChild.class).jvmOption("-Xmx256m")
                .timeout(Duration.ofMinutes(3)).run();
        String out = result.stdout();
        assertEquals(0, result.exitCode(), result::describe);
        assertTrue(out.contains(MappingLimitChild.REFUSED), result::describe);
        String refusal = out.substring(out.indexOf(MappingLimitChild.REFUSED)).lines().findFirst().orElseThrow();
        assertTrue(refusal.matches(MappingLimitChild.REFUSED + "protect\\(byteOffset=\\d+, byteLength=4096,"
                + " protection=READ\\): the process has \\d+ memory mappings and this could add 2, leaving fewer than"
                + " mappingHeadroom=" + headroom + " of vm.max_map_count=" + limit + " for the JVM; .*"), refusal);
        long process = figure(out, MappingLimitChild.PROCESS);
        long region = figure(out, MappingLimitChild.REGION);
        long protectedPages = figure(out, MappingLimitChild.PROTECTED);
        // The kernel's own count: within the headroom of the limit, and not short of it by more than
        // the two mappings one more protect would have added.
        assertTrue(process <= limit - headroom, () -> "process=" + process + ", limit=" + limit + ":\n" + out);
        assertTrue(process > limit - headroom - 2 - 64, () -> "refused too early: process=" + process + ":\n" + out);
        // Each read-only page split the region: 2 mappings per page, plus the two guards and the last run.
        assertTrue(region >= 2 * protectedPages + 1 && region <= 2 * protectedPages + 3,
                () -> "region=" + region + ", protected=" + protectedPages + ":\n" + out);
        assertTrue(out.contains(MappingLimitChild.SURVIVED), result::describe);
        assertTrue(result.errorReport().isEmpty(), result::describe);
    }
}
