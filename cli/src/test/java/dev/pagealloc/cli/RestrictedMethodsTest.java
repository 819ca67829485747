package dev.pagealloc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.adversary.NoNativeAccessAttacks;
import dev.pagealloc.testkit.ChildJvm;
import java.io.File;
import java.io.IOException;
import java.lang.module.FindException;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * pagealloc is not a confused deputy (issue 6, section 1): {@link NoNativeAccessAttacks} runs in a child JVM
 * as an application would run pagealloc, its modules on the module path with native access, while the
 * attacking classes sit on the class path without it, under {@code --illegal-native-access=deny}. Every
 * attack must be refused with {@link IllegalCallerException}, never crash the JVM; granted native access,
 * the same calls work.
 */
class RestrictedMethodsTest {
    /** pagealloc's modules, as the {@code pagealloc} launcher grants them. */
    private static final String PAGEALLOC_MODULES =
            "dev.pagealloc.api,dev.pagealloc.linux,dev.pagealloc.macos,dev.pagealloc.windows,dev.pagealloc.embedded";
    private static final Set<String> MODULE_PATH_MODULES = Set.of("dev.pagealloc.api", "dev.pagealloc.linux",
            "dev.pagealloc.macos", "dev.pagealloc.windows", "dev.pagealloc.embedded");
    private static final String FLAG = "--enable-native-access=ALL-UNNAMED";

    @TempDir
    Path services;

    @Test
    void shouldRefuseEveryAttackFromCodeWithoutNativeAccess() throws IOException {
        ChildJvm.Result result = child(PAGEALLOC_MODULES + ",com.sun.jna").run("wild");

        assertFalse(result.crashed(), result.describe());
        assertEquals(0, result.exitCode(), result.describe());
        Map<String, String> lines = lines(result);
        assertEquals("REFUSED Illegal native access from an unnamed module", lines.get("control-reinterpret")
                .replaceAll(" \\(file:.*\\)$", ""), result.describe());
        for (String attack : List.of("open(embedded)", "open(linux)", "open(macos)", "open(windows)",
                "open-method-reference", "withStaticBuffer", "withStaticBuffer-reflection", "view-default-proxy",
                "view-default", "withProvider")) {
            String line = lines.get(attack);
            assertTrue(line != null && line.matches("REFUSED .*; run with --enable-native-access=[\\w.-]+"),
                    attack + ": " + line + "\n" + result.describe());
        }
        for (String attack : List.of("open(embedded)", "open(linux)", "open-method-reference", "withStaticBuffer",
                "withStaticBuffer-reflection", "view-default", "withProvider")) {
            String line = lines.get(attack);
            assertTrue(line.contains(": illegal native access from an unnamed module: ") && line.endsWith(FLAG)
                    || line.contains(" has no native access; run with " + FLAG), attack + ": " + line);
            assertTrue(line.contains("caller=dev.pagealloc.adversary.NoNativeAccessAttacks")
                    || attack.startsWith("view"), attack + " names the attacking class: " + line);
        }
        assertTrue(lines.get("view-default-proxy").matches("REFUSED VirtualMemory\\.view\\(address=0x1000, byteSize=8,"
                + " implementation=.*\\): module jdk\\.proxy\\d+ has no native access; run with"
                + " --enable-native-access=jdk\\.proxy\\d+"), lines.get("view-default-proxy"));
        assertEquals("NOT-SELECTED platform=" + expectedPlatform() + "; evil: not used: an unnamed module has no"
                + " native access; run with " + FLAG, lines.get("selection"), result.describe());
    }

    @Test
    void shouldLetCodeWithNativeAccessMakeTheSameCalls() throws IOException {
        ChildJvm.Result result = child(PAGEALLOC_MODULES + ",com.sun.jna,ALL-UNNAMED").run("valid");

        assertFalse(result.crashed(), result.describe());
        assertEquals(0, result.exitCode(), result.describe());
        Map<String, String> lines = lines(result);
        for (String attack : List.of("control-reinterpret", "open(embedded)", "open-method-reference",
                "withStaticBuffer", "withStaticBuffer-reflection", "view-default", "withProvider")) {
            assertTrue(lines.get(attack).startsWith("ALLOWED "), attack + ": " + lines.get(attack));
        }
        assertEquals("ALLOWED read 0", lines.get("view-default"));
        assertEquals("ALLOWED read 0", lines.get("withProvider"));
        assertEquals("ALLOWED selected, read 0", lines.get("selection"), result.describe());
        // The proxy's class lives in jdk.proxyN, which nobody granted native access, whoever created it.
        assertTrue(lines.get("view-default-proxy").startsWith("REFUSED "), lines.get("view-default-proxy"));
        assertEquals(1, result.stdout().split("REFUSED", -1).length - 1, result.describe());
    }

    private static String expectedPlatform() {
        String os = System.getProperty("os.name");
        return os.startsWith("Linux") ? "linux" : os.startsWith("Mac") ? "macos" : os.startsWith("Windows") ? "windows"
                : "embedded";
    }

    /** The child: pagealloc (and OSHI, JNA, SLF4J, which the platform modules require) on the module path. */
    private ChildJvm child(String nativeAccess) throws IOException {
        Path registration = services.resolve("META-INF/services/dev.pagealloc.spi.PlatformProvider");
        Files.createDirectories(registration.getParent());
        Files.writeString(registration, NoNativeAccessAttacks.EvilProvider.class.getName() + "\n");
        return ChildJvm.of(NoNativeAccessAttacks.class)
                .enableNativeAccess(nativeAccess)
                .classPath(testClasses() + File.pathSeparator + services)
                .jvmOption("--module-path=" + modulePath())
                .jvmOption("--add-modules=ALL-MODULE-PATH")
                .jvmOption("--illegal-native-access=deny")
                .jvmOption("-Dpagealloc.embedded.bufferBytes=1048576");
    }

    private static Map<String, String> lines(ChildJvm.Result result) {
        Map<String, String> lines = new LinkedHashMap<>();
        for (String line : result.stdout().split("\\R")) {
            int colon = line.indexOf(": ");
            if (colon > 0) {
                lines.put(line.substring(0, colon), line.substring(colon + 2));
            }
        }
        return lines;
    }

    private static Path testClasses() {
        try {
            return Path.of(NoNativeAccessAttacks.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The entries of this test's class path that hold pagealloc's modules or what they require. */
    private static String modulePath() {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> moduleNames(Path.of(entry)).stream()
                        .anyMatch(RestrictedMethodsTest::belongsOnModulePath))
                .collect(Collectors.joining(File.pathSeparator));
    }

    private static boolean belongsOnModulePath(String module) {
        return MODULE_PATH_MODULES.contains(module) || module.startsWith("com.github.oshi")
                || module.startsWith("com.sun.jna") || module.startsWith("org.slf4j");
    }

    private static Set<String> moduleNames(Path entry) {
        if (!Files.exists(entry) || Files.isDirectory(entry) && !Files.exists(entry.resolve("module-info.class"))) {
            return Set.of();
        }
        try {
            return ModuleFinder.of(entry).findAll().stream().map(ModuleReference::descriptor).map(d -> d.name())
                    .collect(Collectors.toSet());
        } catch (FindException e) {
            return Set.of();
        }
    }
}
