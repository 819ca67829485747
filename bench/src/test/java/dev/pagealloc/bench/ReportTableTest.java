package dev.pagealloc.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ReportTableTest {

    private static Results fixedResults() {
        return new Results()
                .put(ReportTable.CYCLE_OURS, 1200, 1000, 1100)
                .put(Results.key(CycleBenchmark.class, "rawFfm"), 900)
                .put(Results.key(CycleBenchmark.class, "jna"), 1300)
                .put(Results.cKey("cycle"), 800, 700)
                .put(Results.cKey("cycle_mmap_rw"), 500)
                .put(ReportTable.GROW_1MIB_OURS, 1000)
                .put(ReportTable.GROW_1GIB_OURS, 1300)
                .put(ReportTable.LABS_OURS, 5)
                .put(ReportTable.LABS_JNA, 42)
                .put(ReportTable.LABS_C, 2);
    }

    private static String row(String table, String operation) {
        return table.lines().filter(line -> line.startsWith("| " + operation + " |")).findFirst()
                .orElseThrow(() -> new AssertionError("no row " + operation + " in\n" + table));
    }

    @Test
    void shouldReportMediansRatiosAndTargets() {
        String table = ReportTable.render(fixedResults());

        assertEquals("| allocate(1 page) + write + deallocate | 1,100 | 900 | 1,300 | 750 | 1.22x | 1.47x | 0.85x "
                + "| ours/C <= 1.5 (1.47x) | yes |", row(table, "allocate(1 page) + write + deallocate"));
        assertEquals("| labs() call, no system call: FFM downcall | 5.00 |  | 42.0 | 2.00 |  | 2.50x | 0.12x "
                + "| (ours-C)/(JNA-C) <= 0.2 (0.08x) | yes |", row(table, "labs() call, no system call: FFM downcall"));
    }

    @Test
    void shouldMarkAMissedTarget() {
        String table = ReportTable.render(fixedResults());

        String row = row(table, "grow by 1 page, 1 GiB region");
        assertTrue(row.endsWith("| ours <= 1.2 x ours at 1 MiB (1.30x) | **NO** |"), table);
    }

    @Test
    void shouldShowWhatWasNotMeasuredAsNotApplicable() {
        String table = ReportTable.render(new Results().put(ReportTable.CYCLE_OURS, 1000));

        assertEquals("| allocate(1 page) + write + deallocate | 1,000 | n/a | n/a | n/a | n/a | n/a | n/a "
                + "| ours/C <= 1.5 | n/a |", row(table, "allocate(1 page) + write + deallocate"));
    }

    @Test
    void shouldHaveOneLinePerRowAfterTheHeader() {
        List<String> lines = ReportTable.render(new Results()).lines().toList();

        assertEquals(2 + ReportTable.ROWS.size(), lines.size());
        assertTrue(lines.get(0).startsWith("| operation | ours ns/op | raw FFM ns/op | JNA ns/op | C ns/op |"));
    }

    @Test
    void shouldNoteTheOneCallFloorOfAWritablePage() {
        String table = ReportTable.render(fixedResults());

        assertTrue(table.endsWith("\nC floor of a writable page in one call, mmap(RW) + write + munmap: 500 ns/op;"
                + " ours/that = 2.20x\n"), table);
    }

    @Test
    void shouldTakeTheMedianOfAnEvenCountAsTheMeanOfTheMiddleTwo() {
        assertEquals(2.5, Results.median(new double[] {4, 1, 3, 2}));
        assertEquals(3.0, Results.median(new double[] {5, 1, 3}));
    }
}
