package dev.pagealloc.chicory.spec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The spec scripts in a folder: every {@code .json} file at most two levels down (wabt's layout: one folder
 * per script, its JSON beside its {@code .wasm} files), in name order.
 */
public final class SpecSuite {

    private SpecSuite() {
    }

    /**
     * {@return the scripts' JSON files under {@code directory}, sorted by path}
     *
     * @param directory the suite's folder, or a folder of one script
     * @throws UncheckedIOException if the folder cannot be listed
     * @throws IllegalArgumentException if {@code directory} is not a folder
     */
    public static List<Path> scripts(Path directory) {
        if (!Files.isDirectory(directory)) {
            throw new IllegalArgumentException("spec suite: " + directory + " is not a folder");
        }
        try (Stream<Path> files = Files.walk(directory, 3)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".json") && Files.isRegularFile(p))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("spec suite: cannot list " + directory, e);
        }
    }
}
