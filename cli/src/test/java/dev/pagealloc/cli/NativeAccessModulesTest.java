package dev.pagealloc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The launcher's native-access list comes from module descriptors, not from a hand-kept list. */
class NativeAccessModulesTest {

    @Test
    void shouldGrantPlatformModulesWhatTheyRequireOfPageallocAndJarsWithNativeLibrariesOnly() {
        // Surefire puts the CLI's dependencies (modular jars or module output folders) on this path.
        Path[] path = Arrays.stream(System.getProperty("jdk.module.path", System.getProperty("java.class.path"))
                        .split(File.pathSeparator))
                .map(Path::of)
                .filter(p -> p.getFileName().toString().matches("(pagealloc-(api|jit|linear-memory|platform-\\w+)|jna"
                        + "|oshi-core|slf4j-api)(-[\\d.]+(-SNAPSHOT)?\\.jar)?|classes"))
                .filter(p -> !p.endsWith("classes") || Files.exists(p.resolve("module-info.class")))
                .filter(p -> !p.toString().contains(File.separator + "cli" + File.separator))
                .toArray(Path[]::new);

        Set<String> granted = NativeAccessModules.of(path);

        assertEquals(Set.of("com.sun.jna", "dev.pagealloc.api", "dev.pagealloc.platform.support",
                "dev.pagealloc.jit", "dev.pagealloc.embedded", "dev.pagealloc.linux", "dev.pagealloc.macos",
                "dev.pagealloc.windows", "dev.pagealloc.wasm"),
                granted, Arrays.toString(path));
    }

    @Test
    void shouldLeaveTheModuleListOutOfTheLauncher() throws IOException {
        String launcher = Files.readString(Path.of("..", "pagealloc"));
        for (String module : Set.of("dev.pagealloc.api", "dev.pagealloc.linux", "com.sun.jna")) {
            assertFalse(launcher.contains(module), "the launcher names " + module + " by hand");
        }
    }
}
