package dev.pagealloc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.adversary.NoNativeAccessAttacks;
import dev.pagealloc.testkit.ChildJvm;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.spi.ToolProvider;
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
    static final String PAGEALLOC_MODULES = "dev.pagealloc.api,dev.pagealloc.platform.support,"
            + "dev.pagealloc.linux,dev.pagealloc.macos,dev.pagealloc.windows,dev.pagealloc.embedded";
    private static final Set<String> MODULE_PATH_MODULES = Set.of("dev.pagealloc.api", "dev.pagealloc.platform.support",
            "dev.pagealloc.linux", "dev.pagealloc.macos", "dev.pagealloc.windows", "dev.pagealloc.embedded");
    /** The named module the attacker is compiled into for the module-path case. */
    private static final String ADVERSARY = "example.adversary";

    @TempDir
    Path services;

    @Test
    void shouldRefuseEveryAttackFromTheClassPathWithoutNativeAccess() throws IOException {
        ChildJvm.Result result = child(PAGEALLOC_MODULES + ",com.sun.jna").run("wild");

        assertEveryAttackRefused(result, "an unnamed module", "ALL-UNNAMED");
    }

    @Test
    void shouldRefuseEveryAttackFromANamedModuleWithoutNativeAccess() throws IOException {
        Path module = compileAdversaryModule();
        ChildJvm.Result result = ChildJvm.of(NoNativeAccessAttacks.class)
                .enableNativeAccess(PAGEALLOC_MODULES + ",com.sun.jna")
                // The class path holds nothing: the main class loads from the named module, which
                // registers the evil provider with `provides`.
                .classPath(services.toString())
                .jvmOption("--module-path=" + modulePath() + File.pathSeparator + module)
                .jvmOption("--add-modules=ALL-MODULE-PATH")
                .jvmOption("--illegal-native-access=deny")
                .jvmOption("-Dpagealloc.embedded.bufferBytes=1048576")
                .run("wild");

        assertEveryAttackRefused(result, "module " + ADVERSARY, ADVERSARY);
    }

    private static void assertEveryAttackRefused(ChildJvm.Result result, String from, String grant) {
        String flag = "--enable-native-access=" + grant;
        assertFalse(result.crashed(), result.describe());
        assertEquals(0, result.exitCode(), result.describe());
        Map<String, String> lines = lines(result);
        assertEquals("REFUSED Illegal native access from " + from, lines.get("control-reinterpret")
                .replaceAll(" \\(file:.*\\)$", ""), result.describe());
        for (String attack : List.of("open(embedded)", "open(linux)", "open(macos)", "open(windows)",
                "open-method-reference", "withStaticBuffer", "withStaticBuffer-reflection", "withProvider")) {
            String method = attack.startsWith("open") ? "PlatformProvider.open"
                    : "PageAllocatorBuilder." + attack.replace("-reflection", "");
            assertEquals("REFUSED " + method + "(caller=" + NoNativeAccessAttacks.class.getName() + "): illegal native"
                    + " access from " + from + ": this restricted method trusts its caller with raw memory, so the"
                    + " caller's module needs native access; run with " + flag, lines.get(attack), result.describe());
        }
        assertEquals("REFUSED VirtualMemory.view(address=0x1000, byteSize=8, implementation="
                + NoNativeAccessAttacks.class.getName() + "$EvilMemory): " + from + " has no native access; run with "
                + flag, lines.get("view-default"), result.describe());
        assertTrue(lines.get("view-default-proxy").matches("REFUSED VirtualMemory\\.view\\(address=0x1000, byteSize=8,"
                + " implementation=.*\\): module jdk\\.proxy\\d+ has no native access; run with"
                + " --enable-native-access=jdk\\.proxy\\d+"), lines.get("view-default-proxy"));
        assertEquals("NOT-SELECTED platform=" + expectedPlatform() + "; evil: not used: " + from + " has no"
                + " native access; run with " + flag, lines.get("selection"), result.describe());
        assertEquals("REFUSED PageAllocator.platformFeature(caller=" + NoNativeAccessAttacks.class.getName()
                + "): illegal native access from " + from + ": this restricted method trusts its caller with raw"
                + " memory, so the caller's module needs native access; run with " + flag, lines.get("platformFeature"),
                result.describe());
        assertEquals(13, lines.size(), "one line per attack\n" + result.describe());
    }

    /** Compiles the attacker, unchanged, into a named module that nobody grants native access. */
    private Path compileAdversaryModule() throws IOException {
        Path sources = services.resolve("adversary-src");
        Path classes = services.resolve("adversary-module");
        Path source = sources.resolve("dev/pagealloc/adversary/NoNativeAccessAttacks.java");
        Files.createDirectories(source.getParent());
        Files.copy(Path.of("src/test/java/dev/pagealloc/adversary/NoNativeAccessAttacks.java"), source);
        Path descriptor = sources.resolve("module-info.java");
        Files.writeString(descriptor, "module " + ADVERSARY + " {\n    requires dev.pagealloc.api;\n"
                + "    uses dev.pagealloc.spi.PlatformProvider;\n"
                + "    provides dev.pagealloc.spi.PlatformProvider with " + NoNativeAccessAttacks.class.getName()
                + ".EvilProvider;\n}\n");
        StringWriter errors = new StringWriter();
        int status = ToolProvider.findFirst("javac").orElseThrow().run(new PrintWriter(errors), new PrintWriter(errors),
                "--module-path", modulePath(), "-d", classes.toString(), descriptor.toString(), source.toString());
        assertEquals(0, status, errors.toString());
        return classes;
    }

    @Test
    void shouldLetCodeWithNativeAccessMakeTheSameCalls() throws IOException {
        ChildJvm.Result result = child(PAGEALLOC_MODULES + ",com.sun.jna,ALL-UNNAMED").run("valid");

        assertFalse(result.crashed(), result.describe());
        assertEquals(0, result.exitCode(), result.describe());
        Map<String, String> lines = lines(result);
        for (String attack : List.of("control-reinterpret", "open(embedded)", "open-method-reference",
                "withStaticBuffer", "withStaticBuffer-reflection", "view-default", "withProvider", "platformFeature")) {
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
    static String modulePath() {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> ChildJvm.moduleNames(Path.of(entry)).stream()
                        .anyMatch(RestrictedMethodsTest::belongsOnModulePath))
                .collect(Collectors.joining(File.pathSeparator));
    }

    private static boolean belongsOnModulePath(String module) {
        // The layers and their libraries too: the CLI module requires them, so a child that runs it by
        // name (ColdStartTest) resolves them.
        return MODULE_PATH_MODULES.contains(module) || module.startsWith("com.github.oshi")
                || module.startsWith("com.sun.jna") || module.startsWith("org.slf4j")
                || module.equals("dev.pagealloc.wasm") || module.equals("dev.pagealloc.jit")
                || module.equals("dev.pagealloc.heap") || module.equals("dev.pagealloc.tagging")
                || module.equals("dev.pagealloc.chicory") || module.startsWith("com.dylibso.chicory")
                || module.startsWith("org.objectweb.asm");
    }
}
