package dev.pagealloc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.testkit.ProcMaps;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PartitionAndTaggingTourStepsTest {

    private final List<String> lines = new ArrayList<>();
    private final List<String> kernel = new ArrayList<>();

    @Test
    void shouldShowThePartitionRefusingPastItsMaximumAndGivingItsMinimumBack() {
        new PartitionTourStep(lines::add, lines::add, (start, end, expectation) -> {
            kernel.add(expectation);
            if (ProcMaps.available()) {
                assertEquals(end - start, ProcMaps.mappedBytes(start, end - start), "the region's 1 MiB is mapped");
            }
        }).run();

        assertEquals(1, kernel.size(), kernel::toString);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("tryGrow by 7 MiB -> -1 ")
                && l.contains("asked first, 1 time") && l.endsWith("commits 1 MiB)")), lines::toString);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("allocate(4 MiB) -> ")
                && l.contains("partition 'tenant-a' cannot take requestedBytes=4194304: usedBytes=1048576,"
                        + " limitBytes=4194304")), lines::toString);
        assertEquals("closed: tenant-a gives its minimum back; host uses 0 B", lines.getLast());
    }

    @Test
    void shouldCatchTheOverflowAndTheUseAfterFreeWithTheirTags() {
        new TaggingTourStep(lines::add, lines::add).run();

        assertTrue(lines.stream().anyMatch(l -> l.startsWith("two 32-byte blocks") && l.endsWith("reads 42")),
                lines::toString);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("writing 8 bytes past the first block -> store(")
                && l.contains("tag mismatch")), lines::toString);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("reading the freed block -> load(")
                && l.contains("tag mismatch")), lines::toString);
        assertTrue(lines.stream().noneMatch(l -> l.startsWith("UNEXPECTED")), lines::toString);
    }
}
