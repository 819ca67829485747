package dev.pagealloc.heap.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.testkit.ProcMaps;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A major collection the heap runs on its own (the old generation's use passed the trigger) keeps the blocks
 * it empties committed as spares, up to the room the next trigger leaves, and the generation takes them again
 * before committing more; a major collection asked for gives them back. Checked in the kernel's view (smaps'
 * Rss and the permissions of the old generation's region).
 */
class OldSparesTest {

    /** Arrays of 200 longs: 1608 bytes with the header, one 2048-byte cell each; 1000 take 2,048,000 bytes. */
    private static final int BATCH = 1000;

    @Test
    void shouldKeepEmptiedBlocksResidentAfterAnAutomaticMajorAndGiveThemBackWhenAsked() {
        Assumptions.assumeTrue(ProcMaps.available(), "no /proc/self/smaps");
        // Old limit 8 MiB: the first major collection runs once the use passes half of it, 4 MiB.
        try (GcHeap heap = GcHeap.builder().withNurseryBytes(4 << 20).withOldGenerationLimitBytes(8 << 20)
                .withTenureAge(1).withVerifyAfterCollection(true).build()) {
            int blob = heap.registerType(new TypeLayout.PrimitiveArray("Blob", 8));
            ShadowStack stack = heap.shadowStack();
            promoteBatch(heap, stack, blob); // about 2 MB old, dead once its frame is popped
            stack.popFrame();
            promoteBatch(heap, stack, blob); // 4,096,000 bytes old, not past the trigger (4 MiB) yet
            stack.popFrame();
            assertEquals(0, heap.statistics().majorCollections());
            long[] old = {heap.old.base, heap.old.base + heap.old.region.byteSize()};
            // Promotes about 2 MB more: past the trigger, so a major collection runs.
            long[] live = promoteBatch(heap, stack, blob);

            assertEquals(1, heap.statistics().majorCollections());
            // The two dead batches emptied 62 blocks; the next trigger is half the limit (more than twice the
            // 2,048,000 bytes live), 4 MiB: 2,146,304 bytes of room, so 32 blocks stay committed.
            long blockBytes = heap.old.blockBytes;
            long spares = (4L << 20) - heap.statistics().oldGenerationUsedBytes();
            assertEquals(spares / blockBytes * blockBytes, heap.old.spareBytes(), "spares");
            long liveBlocks = java.util.Arrays.stream(live).map(a -> (a - heap.old.base) / blockBytes).distinct()
                    .count();
            assertEquals(heap.old.spareBytes() + liveBlocks * blockBytes, heap.old.committedBytes(),
                    "every other empty block went back");
            long rss = ProcMaps.sum(old[0], old[1], "Rss");
            long liveBytes = heap.statistics().oldGenerationUsedBytes();
            assertTrue(rss >= liveBytes + heap.old.spareBytes(), "spares stay resident: Rss " + rss);

            // The next promotion takes spares before committing anything, zeroed: a cell never used reads 0.
            long committed = heap.old.committedBytes();
            long sparesBefore = heap.old.spareBytes();
            long[] batch = promoteBatch(heap, stack, blob);
            assertTrue(heap.old.spareBytes() < sparesBefore, "spares taken: " + heap.old.spareBytes());
            assertEquals(committed, heap.old.committedBytes(), "nothing more committed");
            long next = batch[BATCH - 1] - Header.BYTES + 2048;
            if ((next - heap.old.base) / blockBytes == (batch[BATCH - 1] - heap.old.base) / blockBytes) {
                assertEquals(0, heap.old.getLong(next), "the next cell of a spare block is free");
            }

            // Asked for, a major collection gives every empty block back; every dead cell was counted once.
            while (stack.depth() > 0) {
                stack.popFrame();
            }
            heap.collect(true);
            assertEquals(0, heap.statistics().oldGenerationUsedBytes());
            assertEquals(0, heap.old.committedBytes());
            assertEquals(List.of("---p:" + (old[1] - old[0])), ProcMaps.permissions(old[0], old[1]),
                    "every old block decommitted: no access");
            assertEquals(0, ProcMaps.sum(old[0], old[1], "Rss"), "and no memory");
        }
    }

    /** Pushes a frame holding {@link #BATCH} new arrays and promotes them; {@return their old addresses} */
    private static long[] promoteBatch(GcHeap heap, ShadowStack stack, int blob) {
        stack.pushFrame();
        int first = -1;
        for (int i = 0; i < BATCH; i++) {
            int slot = stack.addRoot(heap.allocateArray(blob, 200));
            first = first < 0 ? slot : first;
        }
        heap.collect(false);
        long[] addresses = new long[BATCH];
        for (int i = 0; i < BATCH; i++) {
            addresses[i] = stack.root(first + i);
            assertTrue(heap.old.contains(addresses[i]), "promoted");
        }
        return addresses;
    }
}
