package dev.pagealloc.heap.manual;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class ChunkZeroingTest {
    @Test
    void shouldZeroExactlyTheSpanBelowAndAboveTheMemsetThreshold() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment chunk = arena.allocate(64 * 1024, 4096);
            long[][] spans = {{3, 17}, {100, ChunkZeroing.MEMSET_MIN_BYTES - 1}, {5000, ChunkZeroing.MEMSET_MIN_BYTES},
                {20_001, 3 * ChunkZeroing.MEMSET_MIN_BYTES + 5}};
            for (long[] span : spans) {
                chunk.fill((byte) 0x55);
                ChunkZeroing.zero(chunk.asSlice(span[0], span[1]));
                for (long at = 0; at < chunk.byteSize(); at++) {
                    boolean inside = at >= span[0] && at < span[0] + span[1];
                    assertEquals(inside ? 0 : 0x55, chunk.get(JAVA_BYTE, at), "byte " + at + " of span " + span[0]);
                }
            }
        }
    }
}
