package dev.pagealloc.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.testkit.ChildJvm;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Guard pages stop raw native writes: a child JVM ({@link GuardFaultChild}) writes one byte just
 * outside its region and must die of SIGSEGV with SEGV_ACCERR (a mapped page without access, not
 * an unmapped hole) at exactly that address, read from HotSpot's error report; the same write
 * inside the region must not fault.
 */
// Binds and calls the real Linux kernel (or reads its /proc); other OSes run their own backends.
@EnabledOnOs(OS.LINUX)
class LinuxGuardFaultTest {

    private static ChildJvm.Result run(String which) {
        return ChildJvm.of(GuardFaultChild.class).environment("CASE", which).jvmOption("-Xmx64m").run();
    }

    private static long announcedAddress(ChildJvm.Result result) {
        int at = result.stdout().indexOf(GuardFaultChild.MARKER);
        assertTrue(at >= 0, () -> "the child never reached the write:\n" + result.describe());
        String hex = result.stdout().substring(at + GuardFaultChild.MARKER.length()).lines().findFirst().orElseThrow();
        return Long.parseUnsignedLong(hex.substring(2), 16);
    }

    @ParameterizedTest
    @ValueSource(strings = {"after", "tail", "before"})
    void shouldKillTheChildWithSegvAccerrAtTheWrittenAddress(String which) {
        ChildJvm.Result result = run(which);
        long address = announcedAddress(result);
        assertTrue(result.crashed(), () -> "no crash report:\n" + result.describe());
        assertEquals(1, result.exitCode(), result::describe);
        assertEquals(Optional.of("SIGSEGV"), result.signalName(), result::describe);
        assertEquals(Optional.of("SEGV_ACCERR"), result.signalCodeName(), result::describe);
        assertEquals(OptionalLong.of(address), result.faultAddress(), result::describe);
        assertFalse(result.stdout().contains("survived"), result::describe);
    }

    @Test
    void shouldLetTheSameWriteInsideTheRegionSucceed() {
        ChildJvm.Result result = run("inside");
        announcedAddress(result);
        assertEquals(0, result.exitCode(), result::describe);
        assertFalse(result.crashed(), result::describe);
        assertTrue(result.stdout().contains("survived"), result::describe);
    }
}
