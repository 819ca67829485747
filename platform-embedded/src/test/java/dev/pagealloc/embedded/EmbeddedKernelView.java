package dev.pagealloc.embedded;

import dev.pagealloc.api.Protection;
import dev.pagealloc.testkit.KernelView;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The embedded provider's "kernel": the page tables of every buffer a test's provider opened.
 * Reserved and decommitted pages, and pages protected NONE, are reported as {@link Protection#NONE};
 * free pages are unmapped gaps. Residency, NUMA nodes and the process's resident set are not
 * observable (empty); the W^X sweep finds nothing by construction, as the table has no state that
 * is writable and executable.
 *
 * <p>Thread-safe as far as the page tables are.
 */
final class EmbeddedKernelView implements KernelView {
    private final List<EmbeddedVirtualMemory> tables;

    EmbeddedKernelView(List<EmbeddedVirtualMemory> tables) {
        this.tables = tables;
    }

    @Override
    public List<Mapping> mappings(long address, long byteSize) {
        List<Mapping> mappings = new ArrayList<>();
        for (EmbeddedVirtualMemory table : tables) {
            for (EmbeddedVirtualMemory.Run run : table.runs(address, byteSize)) {
                Protection protection = switch (run.state()) {
                    case RESERVED, NONE -> Protection.NONE;
                    case READ -> Protection.READ;
                    case READ_WRITE -> Protection.READ_WRITE;
                    case FREE -> throw new AssertionError("free pages are not runs");
                };
                Mapping last = mappings.isEmpty() ? null : mappings.getLast();
                if (last != null && last.end() == run.start() && last.protection() == protection) {
                    mappings.set(mappings.size() - 1, new Mapping(last.start(), run.end(), protection));
                } else {
                    mappings.add(new Mapping(run.start(), run.end(), protection));
                }
            }
        }
        mappings.sort((a, b) -> Long.compareUnsigned(a.start(), b.start()));
        return mappings;
    }

    @Override
    public List<String> writableExecutableMappings() {
        return List.of();
    }



    @Override
    public OptionalLong mappingCount() {
        return OptionalLong.of(tables.stream().mapToLong(EmbeddedVirtualMemory::reservationCount).sum());
    }

}
