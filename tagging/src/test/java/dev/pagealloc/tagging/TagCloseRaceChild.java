package dev.pagealloc.tagging;

import dev.pagealloc.api.DeferredUnmap;
import dev.pagealloc.api.MemoryTagging;
import dev.pagealloc.api.MemoryTagging.TagCheckMode;
import dev.pagealloc.api.MemoryTagging.TaggingPolicy;
import dev.pagealloc.api.TagMismatchException;
import dev.pagealloc.testkit.Collections;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Run by {@link SoftwareTagSpaceCloseTest} in a child JVM, since a fault here kills the JVM: rounds of software
 * tag spaces whose checks (1, 4, 8 and 32 bytes, through the constant global-scope segment) race with tag
 * changes that grow the shadow and with the main thread's {@code close()}, the racers going on past the close;
 * then the spaces are dropped and collected, so the cleaner unmaps their shadows while the next rounds run. Then
 * a compiled loop of checks over a space the main thread closes. Prints {@link #DONE} with its counts and exits
 * 0 when no check faulted, checks both passed and were refused (the races happened), and the cleaner unmapped
 * every round's shadow.
 */
public final class TagCloseRaceChild {
    /** The marker of a clean end. */
    static final String DONE = "tag close race done:";
    private static final int ROUNDS = 150;
    private static final int RACERS = 2;
    /** 4 MiB tagged: 256 KiB of shadow, committed 64 KiB at a time as the blocks are tagged. */
    private static final long BYTES = 4L << 20;
    private static final long BLOCK = 64;
    private static final MemoryTagging TAGGING = MemoryTagging.of(TaggingPolicy.SOFTWARE, TagCheckMode.SYNC);

    /** Keeps the checks' results observable. */
    static volatile long sink;

    private TagCloseRaceChild() {}

    /**
     * Runs the rounds.
     *
     * @param args unused
     * @throws InterruptedException if interrupted
     */
    public static void main(String[] args) throws InterruptedException {
        AtomicLong passed = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        long unmappedBefore = DeferredUnmap.statistics().unmappedRegions();
        for (int round = 0; round < ROUNDS; round++) {
            SoftwareTagSpace tags = SoftwareTagSpace.create(TagSpaces.defaultShadowAllocator(), TAGGING, 0, BYTES);
            long[] pointers = new long[(int) (BYTES / BLOCK)];
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> racers = new ArrayList<>();
            for (int r = 0; r < RACERS; r++) {
                racers.add(Thread.ofPlatform().start(() -> race(tags, pointers, stop, passed, refused)));
            }
            long closeAt = System.nanoTime()
                    + TimeUnit.MICROSECONDS.toNanos(ThreadLocalRandom.current().nextInt(200, 3000));
            for (int b = 0; b < pointers.length && System.nanoTime() < closeAt; b++) {
                pointers[b] = tags.tagNew(b * BLOCK, BLOCK); // grows the shadow under the racers
            }
            tags.close();
            TimeUnit.MICROSECONDS.sleep(500);
            stop.set(true);
            for (Thread t : racers) {
                t.join();
            }
            if (round % 10 == 9) {
                System.gc();
            }
        }
        loopOverAClosedSpace();
        Collections.collectUntil(() -> DeferredUnmap.statistics().unmappedRegions() - unmappedBefore >= ROUNDS + 1,
                Duration.ofSeconds(20));
        long unmapped = DeferredUnmap.statistics().unmappedRegions() - unmappedBefore;
        System.out.println(DONE + " rounds=" + ROUNDS + " passed=" + passed.get() + " refused=" + refused.get()
                + " unmapped=" + unmapped);
        System.exit(unmapped != ROUNDS + 1 ? 3 : passed.get() == 0 || refused.get() == 0 ? 4 : 0);
    }

    private static void loopOverAClosedSpace() throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong loops = new AtomicLong();
        SoftwareTagSpace[] handOff = {SoftwareTagSpace.create(TagSpaces.defaultShadowAllocator(), TAGGING, 0, BYTES)};
        long pointer = handOff[0].tagNew(0, BYTES);
        Thread looper = Thread.ofPlatform().start(() -> {
            SoftwareTagSpace tags = handOff[0];
            while (!stop.get()) {
                try {
                    sink = loop(tags, pointer);
                } catch (IllegalStateException e) {
                    // Seen the close: every later round throws at once.
                }
                loops.incrementAndGet();
            }
        });
        TimeUnit.MILLISECONDS.sleep(1500); // compiled by now
        handOff[0].close();
        handOff[0] = null;
        for (int i = 0; i < 5; i++) {
            System.gc();
            TimeUnit.MILLISECONDS.sleep(100);
        }
        stop.set(true);
        looper.join();
        System.out.println("loop rounds over the closed space=" + loops.get());
    }

    /** Checks with nothing in the loop that forces the bound to be re-read. */
    private static long loop(SoftwareTagSpace tags, long pointer) {
        long sum = 0;
        for (int i = 0; i < 20_000_000; i++) {
            sum += tags.check(pointer + (((long) i << 2) & (BYTES - 4)), 4, false);
        }
        return sum;
    }

    private static void race(SoftwareTagSpace tags, long[] pointers, AtomicBoolean stop, AtomicLong passed,
            AtomicLong refused) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long done = 0;
        long sum = 0;
        while (!stop.get()) {
            long pointer = pointers[random.nextInt(pointers.length)] + random.nextInt((int) BLOCK - 32);
            try {
                sum += tags.check(pointer, 1, false) + tags.check(pointer, 4, true) + tags.check(pointer, 8, false)
                        + tags.check(pointer, 32, false);
                done++;
            } catch (TagMismatchException | IllegalStateException e) {
                refused.incrementAndGet(); // an untagged block (tag 0 pointer past what was tagged) or closed
            }
        }
        passed.addAndGet(done);
        sink = sum;
    }
}
