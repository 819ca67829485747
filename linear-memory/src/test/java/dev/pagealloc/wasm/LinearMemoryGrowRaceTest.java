package dev.pagealloc.wasm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Grow racing with readers on several threads: a reader never traps below a size it has observed,
 * reads only zero or the grower's marks, and once an address has worked it keeps working (the memory
 * only grows).
 */
class LinearMemoryGrowRaceTest {
    private static final long PAGE = MemoryType.WASM_PAGE_BYTES;
    private static final int MAXIMUM_PAGES = 64;
    private static final int READERS = 3;
    private static final long MARK = 0x5EED_5EED_5EED_5EEDL;

    @Test
    void shouldNeverTrapBelowAnObservedSizeWhileAnotherThreadGrows() throws Exception {
        long seed = new SplittableRandom().nextLong();
        try (LinearMemory memory = TestStorage.memory(1, MAXIMUM_PAGES, true);
                ExecutorService executor = Executors.newFixedThreadPool(READERS + 1)) {
            AtomicBoolean done = new AtomicBoolean();
            List<Future<Long>> readers = new ArrayList<>();
            for (int r = 0; r < READERS; r++) {
                SplittableRandom random = new SplittableRandom(seed + r);
                readers.add(executor.submit(() -> read(memory, random, done)));
            }
            Future<?> grower = executor.submit(() -> {
                for (long pages = 1; pages < MAXIMUM_PAGES; pages++) {
                    assertEquals(pages, memory.grow(1));
                    memory.storeI64(pages * PAGE, MARK);
                    Thread.onSpinWait();
                }
                done.set(true);
                return null;
            });
            grower.get();
            long reads = 0;
            for (Future<Long> reader : readers) {
                reads += reader.get();
            }
            assertTrue(reads > 0, "seed=" + seed + ": the readers read nothing");
            assertEquals(MAXIMUM_PAGES * PAGE, memory.byteSize());
            assertEquals(MARK, memory.loadI64((MAXIMUM_PAGES - 1) * PAGE));
        }
    }

    private static long read(LinearMemory memory, SplittableRandom random, AtomicBoolean done) {
        long reads = 0;
        long highestWorking = -1;
        while (!done.get() || reads < 1_000) {
            long size = memory.byteSize();
            long address = random.nextLong(size / Long.BYTES) * Long.BYTES;
            long value = memory.loadI64(address);
            if (value != 0 && !(value == MARK && address % PAGE == 0)) {
                throw new AssertionError("read " + Long.toHexString(value) + " at " + address);
            }
            if (highestWorking >= 0) {
                memory.loadI64(highestWorking); // once in bounds, always in bounds
            }
            // Probe the next page: it may trap until the grow is seen, never after it worked.
            long probe = size;
            try {
                memory.loadI8(probe);
                highestWorking = Math.max(highestWorking, probe);
            } catch (MemoryAccessTrap expectedUntilTheGrowIsSeen) {
                if (highestWorking >= probe) {
                    throw new AssertionError("trapped at " + probe + " after it worked", expectedUntilTheGrowIsSeen);
                }
            }
            reads++;
        }
        return reads;
    }
}
