package dev.pagealloc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.testkit.ChildJvm;
import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the first {@code build()} and {@code allocate(1, 4).close()} of a fresh JVM do, read from the JVM's
 * own class-loading log ({@code -Xlog:class+load}) of {@link StartupProbe} on the module path: which
 * classes they load is deterministic, unlike their duration, which {@code pagealloc startup} measures.
 */
@EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "aarch64"})
class ColdStartTest {
    private static final String JAR_URL_CONNECTION = "sun.net.www.protocol.jar.JarURLConnection";

    @TempDir
    Path directory;

    @Test
    void shouldSpinNoClassOfOursAndLinkOnlyTheDowncallsTheFirstAllocateMakes() throws IOException {
        List<String> loaded = coldStart(probeOnTheClassPath(log()));

        List<String> spun = new ArrayList<>();
        Set<String> downcalls = new TreeSet<>();
        for (String name : loaded) {
            // A lambda, method reference, pattern switch or indy string concatenation spins a hidden class
            // named after the class that uses it (Foo$$Lambda/0x..., Foo$$TypeSwitch/0x...).
            if (name.startsWith("dev.pagealloc.") && name.contains("$$")) {
                spun.add(name);
            }
            if (name.startsWith("dev.pagealloc.linux.FfmLinuxKernel$")) {
                downcalls.add(name.substring("dev.pagealloc.linux.FfmLinuxKernel$".length()));
            }
        }
        assertEquals(List.of(), spun, "classes spun for our code during the first build() and allocate()");
        assertEquals(Set.of("Libc", "Mmap", "Mprotect", "Munmap"), downcalls,
                "downcall holders loaded: each links its handle, and only these calls were made");
        assertFalse(loaded.contains("dev.pagealloc.api.Capabilities$Builder"), "the capability probe ran");
        assertTrue(loaded.contains("dev.pagealloc.linux.LinuxVirtualMemory"), "the Linux provider was not used");
        // With a class path, providers registered there are looked for: every jar's META-INF/services entry
        // is read through a jar: URL (the control for the next test).
        assertTrue(loaded.contains(JAR_URL_CONNECTION), "the class path was not searched for providers");
    }

    @Test
    void shouldFindTheSameProviderWithoutReadingJarsWhenThereIsNoClassPath() throws IOException {
        List<String> loaded = coldStart(probeOnTheModulePath(log()));

        assertTrue(loaded.contains("dev.pagealloc.linux.LinuxVirtualMemory"), "the Linux provider was not used");
        assertFalse(loaded.contains(JAR_URL_CONNECTION), "a META-INF/services file was read through a jar: URL");
    }

    /** The probe from the CLI's classes on the class path, pagealloc's modules on the module path. */
    private static ChildJvm probeOnTheClassPath(Path log) {
        return ChildJvm.of(StartupProbe.class)
                .jvmOption(logOption(log))
                .enableNativeAccess(RestrictedMethodsTest.PAGEALLOC_MODULES)
                .classPath(cliClasses().toString())
                .jvmOption("--module-path=" + RestrictedMethodsTest.modulePath())
                .jvmOption("--add-modules=ALL-MODULE-PATH");
    }

    /**
     * Everything on the module path, the class path empty, as {@code ./pagealloc} runs the CLI: the main
     * class is named by {@code -m}, and the class name the child runner appends becomes the first argument.
     */
    private static ChildJvm probeOnTheModulePath(Path log) {
        return ChildJvm.of(StartupProbe.class)
                .jvmOption(logOption(log))
                .enableNativeAccess(RestrictedMethodsTest.PAGEALLOC_MODULES + ",dev.pagealloc.cli")
                .classPath("")
                .jvmOption("--module-path=" + RestrictedMethodsTest.modulePath() + File.pathSeparator + cliClasses())
                .jvmOption("-m")
                .jvmOption("dev.pagealloc.cli/" + StartupProbe.class.getName());
    }

    private Path log() {
        return directory.resolve("class-load.log");
    }

    private static String logOption(Path log) {
        return "-Xlog:class+load=info:file=" + log;
    }

    /** {@return the classes the probe's build and allocate phases loaded, in order} */
    private List<String> coldStart(ChildJvm probe) throws IOException {
        ChildJvm.Result result = probe.run("--wall-only");
        Path log = log();
        assertEquals(0, result.exitCode(), result.describe());
        List<String> phase = new ArrayList<>();
        boolean inside = false;
        for (String line : Files.readAllLines(log)) {
            int start = line.indexOf("] ") + 2;
            int end = line.indexOf(' ', start);
            if (start < 2 || end < 0) {
                continue;
            }
            String name = line.substring(start, end);
            if (name.endsWith("StartupProbe$BuildStarts")) {
                inside = true;
            } else if (name.endsWith("StartupProbe$AllocateEnded")) {
                return phase;
            } else if (inside) {
                phase.add(name);
            }
        }
        throw new AssertionError("the class-load log has no end marker: " + result.describe());
    }

    private static Path cliClasses() {
        try {
            return Path.of(StartupProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
