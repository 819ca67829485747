package dev.pagealloc.embedded;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.Advice;
import dev.pagealloc.api.FeatureSupport;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The embedded provider's feature answers: advice in software, every other feature absent with its reason. */
class EmbeddedFeaturesTest {
    private final PageAllocator allocator =
            PageAllocator.builder().withPlatform("embedded").withPageBytes(4096).build();

    @Test
    void shouldAnswerEveryFeatureWithAReason() {
        List<FeatureSupport> features = allocator.features();
        assertEquals(List.of(false, false, true, false, false),
                features.stream().map(FeatureSupport::available).toList(), features.toString());
        assertTrue(features.getFirst().reason().contains("data memory"), features.getFirst().reason());
        assertTrue(features.stream().noneMatch(f -> f.reason().isBlank()), features.toString());
    }

    @Test
    void shouldKeepContentsOnDontNeedAndRefuseDumpAdvice() {
        try (Region region = allocator.allocate(2, 4)) {
            region.segment().set(JAVA_BYTE, 0, (byte) 4);
            region.advise(0, region.committedBytes(), Advice.WILL_NEED);
            region.advise(0, region.committedBytes(), Advice.DONT_NEED);
            region.advise(0, region.committedBytes(), Advice.REUSE);
            for (Advice hint : new Advice[] {Advice.PURGEABLE, Advice.SEQUENTIAL, Advice.RANDOM, Advice.NORMAL}) {
                region.advise(0, region.committedBytes(), hint);
            }
            assertEquals(4, region.segment().get(JAVA_BYTE, 0),
                    "the buffer keeps its bytes, as DONT_NEED and PURGEABLE allow");
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> region.advise(0, 4096, Advice.DONT_DUMP));
            assertEquals("advise(byteOffset=0, byteLength=4096): this platform cannot follow DONT_DUMP: the"
                    + " embedded buffer is one block of the caller's memory: core dump and huge page advice needs an"
                    + " operating system's mappings", e.getMessage());
        }
    }
}
