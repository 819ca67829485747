package dev.pagealloc.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.linux.quiet.CapabilitiesChild;
import dev.pagealloc.testkit.ChildJvm;
import java.io.File;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * A library prints nothing and tells the same facts wherever it is loaded from: the Linux provider's
 * capabilities, probed in a child JVM on the class path and in one with pagealloc's modules on the
 * module path, are equal, and neither child writes to stderr. (With OSHI, the class path printed
 * SLF4J's three-line "No SLF4J providers were found" notice, and on the module path OSHI could not
 * link to slf4j-api, so the host facts fell back to others.)
 */
// Probes the real Linux kernel's files; other OSes probe theirs.
@EnabledOnOs(OS.LINUX)
class LinuxQuietProbeTest {

    private static String line(ChildJvm.Result result, String label) {
        return result.stdout().lines().filter(l -> l.startsWith(label)).findFirst()
                .orElseThrow(() -> new AssertionError("no '" + label + "':\n" + result.describe()))
                .substring(label.length());
    }

    /**
     * {@return the capabilities without the figures of the moment}: free memory and free huge pages, and
     * a node's total, which memory hot-plug (a VM's balloon or virtio-mem) moves between two probes
     */
    private static String momentless(String capabilities) {
        return capabilities.replaceAll("(free(Bytes|Pages)|NumaNode\\[id=\\d+, totalBytes)=\\d+", "$1=_");
    }

    /** {@return the class-path entries that hold the api and linux modules: this build's classes or jars} */
    private static String pageallocModules() {
        List<String> entries = Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> e.matches(".*(api|platform-linux|platform-support)[/\\\\]target[/\\\\]classes[/\\\\]?")
                        || e.matches(".*pagealloc-(api|platform-linux|platform-support)-[^/\\\\]*\\.jar"))
                .toList();
        assertEquals(3, entries.size(), () -> "api, support and linux on the class path: " + entries);
        return entries.stream().collect(Collectors.joining(File.pathSeparator));
    }

    @Test
    void shouldProbeTheSameFactsSilentlyOnTheClassAndModulePaths() {
        ChildJvm.Result classPath = ChildJvm.of(CapabilitiesChild.class).run();
        ChildJvm.Result modulePath = ChildJvm.of(CapabilitiesChild.class)
                .jvmOption("--module-path").jvmOption(pageallocModules())
                .jvmOption("--add-modules").jvmOption("dev.pagealloc.api,dev.pagealloc.linux")
                .jvmOption("--enable-native-access="
                        + "dev.pagealloc.api,dev.pagealloc.platform.support,dev.pagealloc.linux")
                .run();
        assertEquals(0, classPath.exitCode(), classPath::describe);
        assertEquals(0, modulePath.exitCode(), modulePath::describe);
        assertEquals("null", line(classPath, CapabilitiesChild.MODULE), "the unnamed module");
        assertEquals("dev.pagealloc.api", line(modulePath, CapabilitiesChild.MODULE));
        assertEquals("", classPath.stderr(), classPath::describe);
        assertEquals("", modulePath.stderr(), modulePath::describe);
        String facts = momentless(line(classPath, CapabilitiesChild.CAPABILITIES));
        assertEquals(facts, momentless(line(modulePath, CapabilitiesChild.CAPABILITIES)));
        assertTrue(facts.contains("totalMemoryBytes=") && !facts.contains("totalMemoryBytes=0,"), facts);
    }
}
