package dev.pagealloc.testkit;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.OS;

/** {@link ChildJvm} against real child JVMs: a clean exit, a SIGSEGV, and a hang. */
class ChildJvmTest {

    /** Prints its case and arguments, then exits with status 3. */
    static final class Exits {
        public static void main(String[] args) {
            System.out.println("case=" + System.getenv("CHILD_CASE") + " property="
                    + System.getProperty("child.property")
                    + " args=" + String.join(",", args));
            System.err.println("to stderr");
            System.exit(3);
        }
    }

    /** Prints a marker, then stores to an unmapped low address: HotSpot crashes with SIGSEGV. */
    static final class Faults {
        @SuppressWarnings("restricted") // see the SAFETY line
        public static void main(String[] args) {
            System.out.println("about to fault");
            System.out.flush();
            // SAFETY: deliberately unsafe: this child exists to crash.
            MemorySegment.ofAddress(0x10).reinterpret(8).set(JAVA_LONG, 0, 1L);
            System.out.println("still alive");
        }
    }

    /** Never ends. */
    static final class Hangs {
        public static void main(String[] args) throws InterruptedException {
            System.out.println("hanging");
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    @Test
    void shouldReportExitOutputAndEnvironment() {
        ChildJvm.Result result = ChildJvm.of(Exits.class)
                .environment("CHILD_CASE", "clean")
                .jvmOption("-Dchild.property=p")
                .run("a", "b");
        assertEquals(3, result.exitCode(), result::describe);
        assertFalse(result.timedOut());
        assertFalse(result.crashed());
        assertEquals("case=clean property=p args=a,b" + System.lineSeparator(), result.stdout());
        assertTrue(result.stderr().contains("to stderr"), result::describe);
        assertEquals(OptionalLong.empty(), result.faultAddress());
        assertEquals(Optional.empty(), result.signalName());
    }

    @Test
    void shouldReadTheCrashFromTheErrorReport() {
        ChildJvm.Result result = ChildJvm.of(Faults.class).run();
        assertEquals(1, result.exitCode(), result::describe);
        assertTrue(result.stdout().startsWith("about to fault"), result::describe);
        assertFalse(result.stdout().contains("still alive"), result::describe);
        assertTrue(result.crashed(), result::describe);
        assertEquals(OptionalLong.of(0x10), result.faultAddress(), result::describe);
        if (OS.current() == OS.WINDOWS) {
            // No signals on Windows: HotSpot reports the structured exception (os_windows.cpp, os::print_siginfo).
            assertEquals(Optional.of("EXCEPTION_ACCESS_VIOLATION"), result.signalName(), result::describe);
            assertEquals(OptionalInt.of(0xC0000005), result.signalNumber());
            assertEquals(Optional.of("writing"), result.signalCodeName(), result::describe);
            assertEquals(OptionalInt.empty(), result.signalCode());
            return;
        }
        assertEquals(Optional.of("SIGSEGV"), result.signalName(), result::describe);
        assertEquals(OptionalInt.of(11), result.signalNumber());
        // 0x10 lies below the first mapping. Linux and x86-64 XNU (bsd/dev/i386/unix_signal.c, sendsig:
        // KERN_INVALID_ADDRESS -> SEGV_MAPERR) report an unmapped address; arm64 XNU sets SEGV_ACCERR
        // for every SIGSEGV (bsd/dev/arm/unix_signal.c, sendsig: the BER_XXX branch is compiled out).
        boolean armMac = OS.current() == OS.MAC && System.getProperty("os.arch").equals("aarch64");
        assertEquals(Optional.of(armMac ? "SEGV_ACCERR" : "SEGV_MAPERR"), result.signalCodeName(), result::describe);
        assertEquals(OptionalInt.of(armMac ? 2 : 1), result.signalCode());
    }

    @Test
    void shouldReadAWindowsAccessViolationFromTheErrorReport() {
        // The lines HotSpot's os_windows.cpp (VMError::report, os::print_siginfo) writes for a store to 0x10.
        String report = """
                # A fatal error has been detected by the Java Runtime Environment:
                #  EXCEPTION_ACCESS_VIOLATION (0xc0000005) at pc=0x00007ffc1a2b3c4d, pid=4242, tid=4243
                siginfo: EXCEPTION_ACCESS_VIOLATION (0xc0000005), writing address 0x0000000000000010
                """;
        ChildJvm.Result result = new ChildJvm.Result(1, false, "", "", Optional.of(report));
        assertEquals(Optional.of("EXCEPTION_ACCESS_VIOLATION"), result.signalName());
        assertEquals(OptionalInt.of(0xC0000005), result.signalNumber());
        assertEquals(Optional.of("writing"), result.signalCodeName());
        assertEquals(OptionalInt.empty(), result.signalCode());
        assertEquals(OptionalLong.of(0x10), result.faultAddress());
        assertEquals(OptionalLong.of(0x7ff0_0000_1000L), ChildJvm.parseFaultAddress(
                "siginfo: EXCEPTION_ACCESS_VIOLATION (0xc0000005), reading address 0x00007ff000001000"));
        assertTrue(result.describe().startsWith("exitCode=1, EXCEPTION_ACCESS_VIOLATION/writing at 0x10"),
                result.describe());
    }

    @Test
    void shouldKillAChildAtTheTimeout() {
        ChildJvm.Result result = ChildJvm.of(Hangs.class).timeout(Duration.ofSeconds(3)).run();
        assertTrue(result.timedOut());
        assertEquals(-1, result.exitCode());
        assertFalse(result.crashed());
    }

    @Test
    void shouldParseTheFaultAddressOfAReport() {
        String report = """
                # A fatal error has been detected by the Java Runtime Environment:
                #  SIGSEGV (0xb) at pc=0x00007f1c2d1b2e4c, pid=4242, tid=4243
                siginfo: si_signo: 11 (SIGSEGV), si_code: 2 (SEGV_ACCERR), si_addr: 0x00007f1c00001000
                """;
        assertEquals(OptionalLong.of(0x7f1c00001000L), ChildJvm.parseFaultAddress(report));
        assertEquals(OptionalLong.empty(), ChildJvm.parseFaultAddress("no report"));
        ChildJvm.Result result = new ChildJvm.Result(1, false, "", "", Optional.of(report));
        assertEquals(Optional.of("SEGV_ACCERR"), result.signalCodeName());
        assertEquals(OptionalInt.of(2), result.signalCode());
        assertEquals(OptionalLong.of(0x7f1c00001000L), result.faultAddress());
        assertTrue(result.describe().startsWith("exitCode=1, SIGSEGV/SEGV_ACCERR at 0x7f1c00001000"),
                result.describe());
    }

    @Test
    void shouldRefuseANonPositiveTimeout() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ChildJvm.of(Exits.class).timeout(Duration.ZERO));
        assertEquals("timeout(timeout=PT0S): must be positive", e.getMessage());
    }

    @Test
    void shouldBuildTheDocumentedCommandLine() {
        var command = ChildJvm.of(Exits.class).jvmOption("-Xmx32m").command();
        assertTrue(command.getFirst().endsWith("java"), command::toString);
        assertTrue(command.contains("--enable-native-access=ALL-UNNAMED"));
        assertTrue(command.contains("-XX:-CreateCoredumpOnCrash"));
        assertTrue(command.stream().anyMatch(c -> c.startsWith("-XX:ErrorFile=") && c.endsWith("hs_err_%p.log")));
        assertEquals(Exits.class.getName(), command.getLast());
        assertTrue(command.indexOf("-Xmx32m") < command.indexOf(Exits.class.getName()));
    }
}
