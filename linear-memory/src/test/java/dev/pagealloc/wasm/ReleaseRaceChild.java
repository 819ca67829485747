package dev.pagealloc.wasm;

import dev.pagealloc.api.DeferredUnmap;
import dev.pagealloc.testkit.Collections;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Run by {@link LinearMemoryReleaseTest} in a child JVM, since a fault here kills the JVM: rounds of memories
 * of their own hammered by racing threads (fast-path loads and stores of 1, 2, 4 and 8 bytes) while the main thread
 * closes them, the racers going on past the close; then the memories are dropped and collected, so the
 * cleaner unmaps their reservations while the next rounds run. Then a compiled loop of loads with no volatile
 * read inside, still running over a memory the main thread has closed and dropped, with collections and
 * enough other releases to retire the view quarantine's batches meanwhile: only the loop's own reference
 * keeps the mapping. (HotSpot re-reads the bound at every access even there, so a stale bound lives only
 * between its load and the access; no test can land a collection in that window at will.) Prints
 * {@link #DONE} with its counts and exits 0 when no access faulted and every reservation was unmapped.
 */
public final class ReleaseRaceChild {
    /** The marker of a clean end. */
    static final String DONE = "release race done:";
    private static final int ROUNDS = 150;
    private static final int RACERS = 2;
    private static final long BYTES = 4 * MemoryType.WASM_PAGE_BYTES;

    /** Keeps the loads' results observable. */
    static volatile long sink;

    private ReleaseRaceChild() {}

    /**
     * Runs the rounds.
     *
     * @param args unused
     * @throws InterruptedException if interrupted
     */
    public static void main(String[] args) throws InterruptedException {
        AtomicLong inBounds = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        for (int round = 0; round < ROUNDS; round++) {
            LinearMemory memory = LinearMemory.create(MemoryType.sharedI32(1, 8));
            memory.grow(3);
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> racers = new ArrayList<>();
            for (int r = 0; r < RACERS; r++) {
                racers.add(Thread.ofPlatform().start(() -> race(memory, stop, inBounds, refused)));
            }
            TimeUnit.MICROSECONDS.sleep(ThreadLocalRandom.current().nextInt(200, 2000));
            memory.close();
            TimeUnit.MICROSECONDS.sleep(500);
            stop.set(true);
            for (Thread t : racers) {
                t.join();
            }
            if (round % 10 == 9) {
                System.gc();
            }
        }
        hoistedLoopOverAClosedMemory();
        Collections.collectUntil(() -> DeferredUnmap.statistics().awaitingRegions() == 0, Duration.ofSeconds(20));
        System.out.println(DONE + " rounds=" + ROUNDS + " accesses=" + inBounds.get() + " refused=" + refused.get()
                + " awaitingUnmap=" + DeferredUnmap.statistics().awaitingRegions());
        System.exit(DeferredUnmap.statistics().awaitingRegions() == 0 ? 0 : 3);
    }

    private static void hoistedLoopOverAClosedMemory() throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong loops = new AtomicLong();
        LinearMemory[] handOff = {LinearMemory.create(MemoryType.i32(4, 8))};
        Thread looper = Thread.ofPlatform().start(() -> {
            LinearMemory memory = handOff[0];
            while (!stop.get()) {
                try {
                    sink = loop(memory);
                } catch (IllegalStateException e) {
                    // Seen the release: the loop's next round goes on to throw at once.
                }
                loops.incrementAndGet();
            }
        });
        TimeUnit.MILLISECONDS.sleep(1500); // compiled by now
        handOff[0].close();
        handOff[0] = null;
        for (int i = 0; i < 3 * 64; i++) {
            LinearMemory.create(MemoryType.i32(1, 2)).close(); // drives the view quarantine's batches
        }
        for (int i = 0; i < 5; i++) {
            System.gc();
            TimeUnit.MILLISECONDS.sleep(100);
        }
        stop.set(true);
        looper.join();
        System.out.println("hoisted loop rounds=" + loops.get());
    }

    /** Loads with nothing in the loop that forces the bound to be re-read. */
    private static long loop(LinearMemory memory) {
        long sum = 0;
        for (int i = 0; i < 50_000_000; i++) {
            sum += memory.loadI64(((long) i << 3) & (BYTES - Long.BYTES));
        }
        return sum;
    }

    private static void race(LinearMemory memory, AtomicBoolean stop, AtomicLong inBounds, AtomicLong refused) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long done = 0;
        long sum = 0;
        while (!stop.get()) {
            long address = random.nextLong(BYTES - Long.BYTES);
            try {
                memory.storeI32(address, (int) address);
                sum += memory.loadI64(address) + memory.loadI8(address) + memory.loadI16(address);
                memory.storeI8(address + 1, (byte) 1);
                memory.storeI64(address, sum);
                done++;
            } catch (IllegalStateException e) {
                refused.incrementAndGet();
            }
        }
        inBounds.addAndGet(done);
        sink = sum;
    }
}
