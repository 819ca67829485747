package dev.pagealloc.heap.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConcurrencyAndEventsTest {

    private static final List<String> EXPECTED = List.of(
            "stretch tree of depth 7\t check: 255",
            "64\t trees of depth 4\t check: 1984",
            "16\t trees of depth 6\t check: 2032",
            "long lived tree of depth 6\t check: 127");

    @Test
    void shouldRunSeveralMutatorThreadsEachWithItsOwnRoots() throws Exception {
        try (GcHeap heap = GcHeap.builder().withNurseryBytes(512 << 10).withOldGenerationLimitBytes(32 << 20)
                .withVerifyAfterCollection(true).build();
                ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<List<String>>> runs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                runs.add(pool.submit(() -> {
                    List<String> lines = new ArrayList<>();
                    BinaryTrees trees = new BinaryTrees(heap);
                    for (int i = 0; i < 5; i++) {
                        lines.clear();
                        trees.run(6, lines::add);
                    }
                    heap.shadowStack().release();
                    return lines;
                }));
            }
            for (Future<List<String>> run : runs) {
                assertEquals(EXPECTED, run.get());
            }
            assertTrue(heap.statistics().minorCollections() > 0);
            heap.verify();
        }
    }

    @Test
    void shouldRecordAJfrEventPerCollection(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("gc.jfr");
        try (GcHeap heap = GcHeap.builder().build(); Recording recording = new Recording()) {
            recording.enable("dev.pagealloc.heap.Collection").withoutThreshold();
            recording.start();
            int leaf = heap.registerType(new TypeLayout.Fixed("Leaf", 8));
            Handle kept = heap.newHandle(heap.allocate(leaf));
            heap.collect(false);
            heap.collect(true);
            recording.stop();
            recording.dump(file);
            kept.close();
        }
        List<String> kinds = new ArrayList<>();
        for (RecordedEvent event : RecordingFile.readAllEvents(file)) {
            if (event.getEventType().getName().equals("dev.pagealloc.heap.Collection")) {
                kinds.add(event.getString("kind"));
            }
        }
        assertEquals(List.of("minor", "minor", "major", "minor"), kinds,
                "minor, then minor, major, minor for collect(true)");
        assertTrue(Files.size(file) > 0);
    }
}
