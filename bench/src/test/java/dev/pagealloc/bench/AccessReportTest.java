package dev.pagealloc.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class AccessReportTest {

    private static String key(String method, String pattern) {
        return Results.key(LinearMemoryAccessBenchmark.class, method, "pattern=" + pattern);
    }

    @Test
    void shouldGiveEachPeerAsARatioToRawAndJudgeTheTarget() {
        Results results = new Results()
                .put(key("rawI32", "sequential"), 2.0, 1.0, 3.0)
                .put(key("oursI32", "sequential"), 2.1)
                .put(key("byteArrayMemoryI32", "sequential"), 8)
                .put(key("rawI64", "random"), 4)
                .put(key("oursI64", "random"), 4.4);
        String table = AccessReport.render(results);
        assertEquals("| sequential i32 | 2.00 | 2.10 | 1.05x | 4.00x | n/a | ours/raw <= 1.05 | yes |",
                table.lines().filter(line -> line.startsWith("| sequential i32")).findFirst().orElseThrow());
        assertEquals("| random i64 | 4.00 | 4.40 | 1.10x | n/a | n/a | ours/raw <= 1.05 | **NO** |",
                table.lines().filter(line -> line.startsWith("| random i64")).findFirst().orElseThrow());
        assertEquals("| random i32 | n/a | n/a | n/a | n/a | n/a | ours/raw <= 1.05 | n/a |",
                table.lines().filter(line -> line.startsWith("| random i32")).findFirst().orElseThrow());
    }

    @Test
    void shouldRenderNothingWhenTheBenchmarkDidNotRun() {
        assertEquals("", AccessReport.render(new Results().put(ReportTable.CYCLE_OURS, 1)));
    }
}
