package dev.pagealloc.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pagealloc.api.Capabilities.WxStrategy;
import dev.pagealloc.testkit.ChildJvm;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What the code buffers promise when things go wrong, proven in child JVMs ({@link CrashChild}): Java
 * never writes sealed code (it throws), native code that does dies with SIGSEGV, a freed function traps.
 * HotSpot reports a fatal signal in its error report and exits with status 1 (see {@link ChildJvm}).
 */
class CodeCrashTest {
    private static final Pattern ADDRESS = Pattern.compile("ADDRESS=([0-9a-f]+)");

    @BeforeAll
    static void onX86Linux() {
        assumeTrue(X86.isHost(), "the machine code is x86-64 and the signals are Linux's");
    }

    private static ChildJvm.Result run(String scenario, WxStrategy strategy) {
        return ChildJvm.of(CrashChild.class).run(scenario, strategy.name());
    }

    private static long printedAddress(ChildJvm.Result result) {
        Matcher m = ADDRESS.matcher(result.stdout());
        assertTrue(m.find(), result.describe());
        return Long.parseUnsignedLong(m.group(1), 16);
    }

    @ParameterizedTest
    @EnumSource(names = {"PROTECTION_FLIP", "DUAL_MAPPING"})
    void shouldThrowWhenJavaWritesSealedCode(WxStrategy strategy) {
        ChildJvm.Result result = run("java-writes-sealed-code", strategy);
        assertEquals(0, result.exitCode(), result.describe());
        assertFalse(result.crashed(), result.describe());
        assertTrue(result.stdout().contains("REFUSED=4"), result.describe());
        assertTrue(result.stdout().contains("RESULT=42"), "the code is intact: " + result.describe());
        assertTrue(result.stdout().contains("SURVIVED"), result.describe());
    }

    @ParameterizedTest
    @EnumSource(names = {"PROTECTION_FLIP", "DUAL_MAPPING"})
    void shouldDieWithSigsegvWhenNativeCodeWritesSealedCode(WxStrategy strategy) {
        ChildJvm.Result result = run("native-writes-sealed-code", strategy);
        assertEquals(1, result.exitCode(), result.describe());
        assertEquals("SIGSEGV", result.signalName().orElseThrow(), result.describe());
        assertEquals("SEGV_ACCERR", result.signalCodeName().orElseThrow(), "mapped, but not writable");
        assertEquals(printedAddress(result), result.faultAddress().orElseThrow(), result.describe());
        assertFalse(result.stdout().contains("SURVIVED"));
    }

    @ParameterizedTest
    @EnumSource(names = {"PROTECTION_FLIP", "DUAL_MAPPING"})
    void shouldLetNativeCodeWriteWritableCode(WxStrategy strategy) {
        ChildJvm.Result result = run("native-writes-writable-code", strategy);
        assertEquals(0, result.exitCode(), "the twin of the crash above: " + result.describe());
        assertTrue(result.stdout().contains("SURVIVED"), result.describe());
    }

    @ParameterizedTest
    @EnumSource(names = {"PROTECTION_FLIP", "DUAL_MAPPING"})
    void shouldDieWithSigsegvWhenCallingAnUnmappedBuffer(WxStrategy strategy) {
        ChildJvm.Result result = run("call-freed-buffer", strategy);
        assertTrue(result.stdout().contains("RESULT=42"), "it ran before the free: " + result.describe());
        assertEquals(1, result.exitCode(), result.describe());
        assertEquals("SIGSEGV", result.signalName().orElseThrow(), result.describe());
        assertEquals("SEGV_MAPERR", result.signalCodeName().orElseThrow(), "unmapped: " + result.describe());
        assertEquals(printedAddress(result), result.faultAddress().orElseThrow(), result.describe());
    }

    @ParameterizedTest
    @EnumSource(names = {"PROTECTION_FLIP", "DUAL_MAPPING"})
    void shouldTrapWhenCallingAFreedHeapFunction(WxStrategy strategy) {
        ChildJvm.Result result = run("call-freed-heap-function", strategy);
        assertTrue(result.stdout().contains("RESULT=42"), "it ran before the free: " + result.describe());
        assertFalse(result.stdout().contains("NEIGHBOUR"), result.describe());
        if (strategy == WxStrategy.PROTECTION_FLIP) {
            assertEquals(1, result.exitCode(), result.describe());
            assertEquals("SIGSEGV", result.signalName().orElseThrow(), result.describe());
            assertEquals("SEGV_ACCERR", result.signalCodeName().orElseThrow(), "---p: " + result.describe());
            assertEquals(printedAddress(result), result.faultAddress().orElseThrow(), result.describe());
        } else {
            // HotSpot installs no SIGTRAP handler outside PPC64 (src/hotspot/os/posix/signals_posix.cpp,
            // install_signal_handlers: PPC64_ONLY(set_signal_handler(SIGTRAP);)), so int3 kills the JVM by the
            // signal's default action: no error report, and Process.exitValue() is 128 + SIGTRAP (5).
            assertEquals(128 + 5, result.exitCode(), "int3 over the freed bytes: " + result.describe());
            assertTrue(result.errorReport().isEmpty(), result.describe());
        }
    }
}
