package dev.pagealloc.heap.manual;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Seeded random allocate, reallocate and free sequences against a model: every live block keeps
 * the bytes written to it, no two live blocks overlap, and the statistics equal the model's.
 */
class ManualHeapModelTest {

    /** A live block in the model: its segment, size, and the byte it is filled with. */
    private record Live(MemorySegment segment, long byteSize, byte fill) {
    }

    @ParameterizedTest(name = "seed={0} checked={1} poisoning={2} threadCaches={3}")
    @CsvSource({"1,false,false,true", "2,false,false,true", "3,true,false,true", "4,false,true,true",
        "5,true,true,true", "6,false,true,false"})
    void shouldKeepContentsAndNeverOverlapUnderRandomOperations(long seed, boolean checked, boolean poisoning,
            boolean threadCaches) {
        Random random = new Random(seed);
        try (ManualHeap heap = Heaps.builder().withCheckedBlocks(checked).withPoisoning(poisoning)
                .withThreadCaches(threadCaches).withExactPeak(true).build()) {
            List<Live> live = new ArrayList<>();
            long liveBytes = 0;
            long peak = 0;
            for (int step = 0; step < 20_000; step++) {
                int op = random.nextInt(10);
                if (op < 5 || live.isEmpty()) {
                    long size = randomSize(random);
                    long alignment = 1L << random.nextInt(random.nextInt(8) == 0 ? 14 : 5);
                    MemorySegment block = heap.allocate(size, alignment, random.nextBoolean());
                    assertEquals(size, block.byteSize());
                    assertEquals(0, block.address() % alignment, "alignment " + alignment);
                    byte fill = (byte) random.nextInt();
                    block.fill(fill);
                    live.add(new Live(block, size, fill));
                    liveBytes += size;
                } else if (op < 7) {
                    Live old = live.remove(random.nextInt(live.size()));
                    check(old);
                    long size = randomSize(random);
                    MemorySegment moved = heap.reallocate(old.segment(), size);
                    assertEquals(size, moved.byteSize());
                    long kept = Math.min(size, old.byteSize());
                    for (long i = 0; i < kept; i += 1 + i / 8) {
                        assertEquals(old.fill(), moved.get(JAVA_BYTE, i), "byte " + i + " kept by reallocate");
                    }
                    if (moved.address() != old.segment().address()) {
                        peak = Math.max(peak, liveBytes + size); // both blocks were live during the copy
                    }
                    moved.fill(old.fill());
                    live.add(new Live(moved, size, old.fill()));
                    liveBytes += size - old.byteSize();
                } else {
                    Live old = live.remove(random.nextInt(live.size()));
                    check(old);
                    if (random.nextBoolean()) {
                        heap.free(old.segment(), old.byteSize());
                    } else {
                        heap.free(old.segment());
                    }
                    liveBytes -= old.byteSize();
                }
                peak = Math.max(peak, liveBytes);
                if (step % 1000 == 0) {
                    checkNoOverlap(live);
                    HeapStatistics statistics = heap.statistics();
                    assertEquals(liveBytes, statistics.liveBytes());
                    assertEquals(live.size(), statistics.liveBlocks());
                }
            }
            checkNoOverlap(live);
            live.forEach(ManualHeapModelTest::check);
            HeapStatistics statistics = heap.statistics();
            assertEquals(liveBytes, statistics.liveBytes());
            assertEquals(peak, statistics.peakLiveBytes());
            assertEquals(live.size(), statistics.liveBlocks());
            assertEquals(statistics.allocations() - statistics.frees(), statistics.liveBlocks());
        }
    }

    @ParameterizedTest(name = "checked={0} threadCaches={1} poisoning={2}")
    @CsvSource({"false,true,false", "false,true,true", "true,true,true", "false,false,true", "false,false,false"})
    void shouldStayExactWhenThreadsAllocateAndFreeEachOthersBlocks(boolean checked, boolean threadCaches,
            boolean poisoning) throws Exception {
        // Without checking or poisoning, the fast paths run: the threads' last-cache and last-slab hints,
        // their plain counters (summed after join: a happens-before edge), frees of other threads' blocks.
        int threads = 4;
        try (ManualHeap heap = Heaps.builder().withCheckedBlocks(checked).withPoisoning(poisoning)
                .withThreadCaches(threadCaches).build()) {
            ConcurrentLinkedQueue<Live> handedOver = new ConcurrentLinkedQueue<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long seed = 100 + t;
                workers.add(Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                        Random random = new Random(seed);
                        List<Live> mine = new ArrayList<>();
                        for (int step = 0; step < 20_000; step++) {
                            int op = random.nextInt(4);
                            if (op < 2 || mine.isEmpty()) {
                                long size = random.nextInt(2048);
                                MemorySegment block = heap.allocate(size);
                                byte fill = (byte) random.nextInt();
                                block.fill(fill);
                                mine.add(new Live(block, size, fill));
                            } else if (op == 2) {
                                handedOver.add(mine.remove(mine.size() - 1));
                            } else {
                                Live other = handedOver.poll();
                                Live victim = other != null ? other : mine.remove(random.nextInt(mine.size()));
                                check(victim);
                                heap.free(victim.segment(), victim.byteSize());
                            }
                        }
                        for (Live each : mine) {
                            check(each);
                            heap.free(each.segment());
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            start.countDown();
            for (Thread worker : workers) {
                worker.join();
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            long leftBytes = 0;
            for (Live each : handedOver) {
                check(each);
                leftBytes += each.byteSize();
            }
            HeapStatistics statistics = heap.statistics();
            assertEquals(handedOver.size(), statistics.liveBlocks());
            assertEquals(leftBytes, statistics.liveBytes());
            for (Live each : handedOver) {
                heap.free(each.segment());
            }
            assertEquals(0, heap.statistics().liveBlocks());
            assertEquals(0, heap.statistics().liveBytes());
        }
    }

    private static long randomSize(Random random) {
        return switch (random.nextInt(10)) {
            case 0 -> random.nextInt(200_000);
            case 1, 2 -> random.nextInt(SizeClasses.MAX_SMALL_BYTES + 1);
            default -> random.nextInt(512);
        };
    }

    private static void check(Live block) {
        MemorySegment segment = block.segment();
        for (long i = 0; i < block.byteSize(); i += 1 + i / 8) {
            if (segment.get(JAVA_BYTE, i) != block.fill()) {
                fail("block at 0x" + Long.toHexString(segment.address()) + " changed at byte " + i);
            }
        }
    }

    private static void checkNoOverlap(List<Live> live) {
        List<Live> sorted = new ArrayList<>(live);
        sorted.sort(Comparator.comparingLong(each -> each.segment().address()));
        for (int i = 1; i < sorted.size(); i++) {
            Live before = sorted.get(i - 1);
            Live after = sorted.get(i);
            assertTrue(before.segment().address() + before.byteSize() <= after.segment().address(),
                    "blocks overlap: 0x" + Long.toHexString(before.segment().address()) + "+" + before.byteSize()
                            + " and 0x" + Long.toHexString(after.segment().address()));
        }
    }
}
