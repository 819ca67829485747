package dev.pagealloc.reliability;

import dev.pagealloc.testkit.ChildJvm;
import java.io.File;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * A child JVM laid out as an application runs pagealloc: pagealloc's modules (and what they require) on
 * the module path with native access, everything else (the test's own code, jqwik) on the class path
 * without it, under {@code --illegal-native-access=deny}.
 */
public final class ChildModules {
    /** pagealloc's modules that make restricted calls, as the launcher grants them. */
    public static final String PAGEALLOC_MODULES = "dev.pagealloc.api,dev.pagealloc.platform.support,"
            + "dev.pagealloc.linux,dev.pagealloc.embedded,dev.pagealloc.wasm,dev.pagealloc.jit,dev.pagealloc.heap";

    private ChildModules() {}

    /**
     * {@return a child JVM running {@code mainClass} from the class path without native access}
     *
     * @param mainClass the main class, on this test's class path
     */
    public static ChildJvm withoutNativeAccess(Class<?> mainClass) {
        return ChildJvm.of(mainClass)
                .enableNativeAccess(PAGEALLOC_MODULES)
                .classPath(entries(false))
                .jvmOption("--module-path=" + entries(true))
                .jvmOption("--add-modules=ALL-MODULE-PATH")
                .jvmOption("--illegal-native-access=deny");
    }

    private static String entries(boolean modules) {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> ChildJvm.moduleNames(Path.of(entry)).stream().anyMatch(ChildModules::ours) == modules)
                .collect(Collectors.joining(File.pathSeparator));
    }

    private static boolean ours(String module) {
        return module.startsWith("dev.pagealloc.") && !module.equals("dev.pagealloc.testkit")
                || module.startsWith("com.github.oshi") || module.startsWith("com.sun.jna")
                || module.startsWith("org.slf4j") || module.startsWith("com.dylibso.chicory")
                || module.startsWith("org.objectweb.asm");
    }
}
