package dev.pagealloc.chicory.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pagealloc.chicory.PageallocMemoryFactory;
import dev.pagealloc.chicory.spec.CommandOutcome.Status;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The official spec tests (17 core memory scripts, {@code threads/}, {@code multi-memory/}; see
 * {@code wasm-testsuite/README.md}) through Chicory's interpreter and compiler, each script run twice side by
 * side: on Chicory's {@code ByteArrayMemory} and on the memory under test ({@link SpecMemory#underTest()}: ours,
 * unless {@code -Dpagealloc.chicory.specMemory=bytearray} chooses Chicory's own).
 * Every command must end the same way on both, and every command that does not pass on Chicory's own memory
 * must be one of the known exclusions in {@code wasm-testsuite/known-failures.txt} (Chicory's own exclusions
 * and validation differences, each with its reason), so neither a regression of ours nor of the reference
 * goes unseen.
 */
class SpecSideBySideTest {

    private static final Path SUITE = resource("wasm-testsuite/json");

    @TestFactory
    Stream<DynamicTest> everyCommandEndsAsOnChicorysOwnMemory() {
        SpecMemory ours = SpecMemory.underTest();
        System.out.println("spec tests: ByteArrayMemory side by side with " + ours);
        Set<String> known = knownFailures();
        List<DynamicTest> tests = new ArrayList<>();
        for (Engine engine : Engine.values()) {
            for (Path script : SpecSuite.scripts(SUITE)) {
                String name = script.getFileName().toString().replace(".json", "");
                tests.add(DynamicTest.dynamicTest(engine + " " + name + " on " + ours, () -> {
                    List<CommandOutcome> reference = new SpecRunner(SpecMemory.BYTE_ARRAY.factory, engine).run(script);
                    // Ours come from a factory per script, so every memory the script made is released after it.
                    try (PageallocMemoryFactory memories = PageallocMemoryFactory.create()) {
                        List<CommandOutcome> underTest = new SpecRunner(
                                ours == SpecMemory.PAGEALLOC ? memories : ours.factory, engine).run(script);
                        compare(engine, reference, underTest, known);
                    }
                }));
            }
        }
        return tests.stream();
    }

    private static void compare(Engine engine, List<CommandOutcome> reference, List<CommandOutcome> underTest,
            Set<String> known) {
        assertEquals(reference.size(), underTest.size(), "commands run");
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < reference.size(); i++) {
            CommandOutcome r = reference.get(i);
            CommandOutcome o = underTest.get(i);
            if (r.status() != o.status()) {
                problems.add("differs: " + r.where() + ": ByteArrayMemory " + r.status() + " " + r.detail()
                        + " / ours " + o.status() + " " + o.detail());
            }
            if (r.status() == Status.FAILED && !known.contains(engine + " " + r.where())) {
                problems.add("unexpected failure on ByteArrayMemory: " + engine + " " + r);
            }
            if (r.status() == Status.FAILED) {
                System.out.println("both memories: " + engine + " " + r);
            }
        }
        if (!problems.isEmpty()) {
            fail(problems.size() + " problem(s):\n" + String.join("\n", problems));
        }
    }

    /** {@return the known failures, one {@code ENGINE script.wast:LINE type} per line, {@code #} comments} */
    private static Set<String> knownFailures() {
        Path file = resource("wasm-testsuite/known-failures.txt");
        try {
            Set<String> set = new TreeSet<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String entry = line.replaceFirst("#.*", "").strip();
                if (!entry.isEmpty()) {
                    set.add(entry);
                }
            }
            return set;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path resource(String name) {
        try {
            return Path.of(Objects.requireNonNull(SpecSideBySideTest.class.getClassLoader().getResource(name),
                    name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
