package dev.pagealloc.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReader;
import java.lang.module.ModuleReference;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Derives the {@code --enable-native-access} list of a module path from the module descriptors on it,
 * so the {@code pagealloc} launcher names no module by hand and a new platform module is granted as
 * soon as its jar is on the path.
 *
 * <p>A module is granted native access when it
 * <ul>
 * <li>provides {@code dev.pagealloc.spi.PlatformProvider} (a platform module: it binds system calls);
 * <li>is a {@code dev.pagealloc.*} module such a provider requires (the API module, which builds segments
 *     over reserved memory, and any support module the platforms share);
 * <li>runs machine code it generates ({@link #CODE_RUNNERS}: {@code dev.pagealloc.jit}), which takes
 *     restricted linker methods;
 * <li>ships a native library ({@code .so}, {@code .dylib}, {@code .jnilib}, {@code .dll}), which it can
 *     only load with {@code System.loadLibrary}, restricted since JDK 24 (JEP 472): JNA, which OSHI uses.
 * </ul>
 * Everything else (OSHI itself, SLF4J, the CLI) is left without it.
 *
 * <p>Usage: {@code java -cp pagealloc-cli.jar dev.pagealloc.cli.NativeAccessModules <dir-or-jar>...}
 * prints the comma-separated list, sorted. Stateless and thread-safe.
 */
public final class NativeAccessModules {
    /** The service every platform module provides. */
    static final String PROVIDER_SERVICE = "dev.pagealloc.spi.PlatformProvider";

    /** Layer modules that run machine code they generate, through the restricted {@code Linker} methods. */
    static final Set<String> CODE_RUNNERS = Set.of("dev.pagealloc.jit");

    private NativeAccessModules() {}

    /**
     * Prints the list for the module path given as arguments.
     *
     * @param args directories of modular or automatic jars, or jars
     */
    public static void main(String[] args) {
        System.out.println(String.join(",", of(Arrays.stream(args).map(Path::of).toArray(Path[]::new))));
    }

    /**
     * {@return the modules of {@code path} that need native access, sorted by name}
     *
     * @param path the module path: directories of jars, or jars
     * @throws java.lang.module.FindException if a jar on it is not a valid module
     * @throws UncheckedIOException if a jar cannot be read
     */
    static Set<String> of(Path... path) {
        Map<String, ModuleReference> found = ModuleFinder.of(path).findAll().stream()
                .collect(Collectors.toMap(r -> r.descriptor().name(), Function.identity(), (a, b) -> a));
        Set<String> granted = new TreeSet<>();
        for (ModuleReference reference : found.values()) {
            ModuleDescriptor descriptor = reference.descriptor();
            if (descriptor.provides().stream().anyMatch(p -> p.service().equals(PROVIDER_SERVICE))) {
                granted.add(descriptor.name());
                descriptor.requires().stream().map(ModuleDescriptor.Requires::name)
                        .filter(name -> name.startsWith("dev.pagealloc.") && found.containsKey(name))
                        .forEach(granted::add);
            }
            if (CODE_RUNNERS.contains(descriptor.name()) || shipsNativeLibrary(reference)) {
                granted.add(descriptor.name());
            }
        }
        return granted;
    }

    private static boolean shipsNativeLibrary(ModuleReference reference) {
        try (ModuleReader reader = reference.open(); Stream<String> entries = reader.list()) {
            return entries.anyMatch(e -> e.endsWith(".so") || e.endsWith(".dylib") || e.endsWith(".jnilib")
                    || e.endsWith(".dll"));
        } catch (IOException e) {
            throw new UncheckedIOException("NativeAccessModules.of(): cannot list " + reference.location(), e);
        }
    }
}
