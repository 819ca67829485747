package dev.pagealloc.jit.bf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.pagealloc.jit.adversary.CodeLoaderAttack;
import dev.pagealloc.testkit.ChildJvm;
import java.io.File;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * {@link CodeLoader#load} is restricted; compiling Brainfuck is not. A child JVM runs pagealloc's modules on
 * the module path with native access, as an application would, and {@link CodeLoaderAttack} from the class
 * path, under {@code --illegal-native-access=deny}.
 */
class CodeLoaderNativeAccessTest {
    private static final String PAGEALLOC = "dev.pagealloc.api,dev.pagealloc.platform.support,dev.pagealloc.linux,"
            + "dev.pagealloc.embedded,dev.pagealloc.jit,com.sun.jna";

    @Test
    void shouldRefuseRawCodeToACallerWithoutNativeAccessButCompileForIt() {
        ChildJvm.Result result = child(PAGEALLOC).run();

        assertFalse(result.crashed(), result.describe());
        assertEquals(0, result.exitCode(), result.describe());
        assertEquals("load: REFUSED CodeLoader.load(caller=" + CodeLoaderAttack.class.getName() + "): illegal native"
                + " access from an unnamed module: this restricted method trusts its caller with raw memory, so the"
                + " caller's module needs native access; run with --enable-native-access=ALL-UNNAMED\n"
                + "compile: ALLOWED printed A\n", result.stdout(), result.describe());
    }

    @Test
    void shouldLoadRawCodeForACallerWithNativeAccess() {
        ChildJvm.Result result = child(PAGEALLOC + ",ALL-UNNAMED").run();

        assertEquals(0, result.exitCode(), result.describe());
        assertEquals("load: ALLOWED ran\ncompile: ALLOWED printed A\n", result.stdout(), result.describe());
    }

    private static ChildJvm child(String nativeAccess) {
        return ChildJvm.of(CodeLoaderAttack.class)
                .enableNativeAccess(nativeAccess)
                .classPath(Arrays.stream(classPath()).filter(entry -> ChildJvm.moduleNames(Path.of(entry)).isEmpty())
                        .collect(Collectors.joining(File.pathSeparator)))
                .jvmOption("--module-path=" + Arrays.stream(classPath())
                        .filter(entry -> ChildJvm.moduleNames(Path.of(entry)).stream()
                                .anyMatch(CodeLoaderNativeAccessTest::belongsOnModulePath))
                        .collect(Collectors.joining(File.pathSeparator)))
                .jvmOption("--add-modules=ALL-MODULE-PATH")
                .jvmOption("--illegal-native-access=deny");
    }

    private static String[] classPath() {
        return System.getProperty("java.class.path").split(File.pathSeparator);
    }

    private static boolean belongsOnModulePath(String module) {
        return module.startsWith("dev.pagealloc.") && !module.startsWith("dev.pagealloc.testkit")
                || module.startsWith("com.github.oshi") || module.startsWith("com.sun.jna")
                || module.startsWith("org.slf4j");
    }
}
