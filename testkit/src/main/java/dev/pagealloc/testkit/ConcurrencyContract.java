package dev.pagealloc.testkit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.Units;
import dev.pagealloc.api.ViewQuarantine;
import dev.pagealloc.api.ViewSharing;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The conformance suite, part 5: threads. Readers of {@link ViewSharing#SHARED} views run while
 * another thread grows, protects and discards; allocation and deallocation run from several
 * threads at once; grows from several threads are serialized; and {@link ViewSharing#CONFINED}
 * regions refuse to be taken from another thread while the thread that holds views lives, and pass
 * to the next thread once it has ended or its views were invalidated. A backend's test implements
 * it beside the other parts.
 */
public interface ConcurrencyContract extends ContractSupport {

    /**
     * Readers of shared views see only the region's own bytes or zero, never a torn value, while another
     * thread grows, protects and discards the region; a view invalidated under them throws {@code
     * IllegalStateException}.
     *
     * @throws InterruptedException if interrupted while waiting for the readers to stop
     */
    @Test
    default void shouldLetSharedViewReadersRunWhileAnotherThreadChangesTheRegion() throws InterruptedException {
        // Released at once: a quarantine's timer would unmap it later, under another test's mapping count.
        PageAllocator allocator = allocator(b -> b.withViewSharing(ViewSharing.SHARED)
                .withViewQuarantine(ViewQuarantine.NONE));
        int maximum = 24;
        Region region = allocate(allocator, 1, maximum);
        long granule = region.protectionGranuleBytes();
        region.segment().fill(pattern());
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong reads = new AtomicLong();
        AtomicLong invalidated = new AtomicLong();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        int readers = Math.max(1, concurrencyThreads() - 1);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < readers; i++) {
            threads.add(Thread.ofPlatform().name("contract-reader-" + i).start(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                while (!stop.get()) {
                    try {
                        MemorySegment view = region.segment();
                        long offset = random.nextLong(view.byteSize() / 8) * 8;
                        long value = view.get(JAVA_LONG, offset);
                        for (int b = 0; b < 8; b++) {
                            byte read = (byte) (value >>> (8 * b));
                            if (read != 0 && read != pattern()) {
                                throw new AssertionError("torn read at byteOffset=" + offset + ": "
                                        + Long.toHexString(value));
                            }
                        }
                        byte last = view.get(JAVA_BYTE, view.byteSize() - 1);
                        if (last != 0 && last != pattern()) {
                            throw new AssertionError("last byte reads " + last);
                        }
                        reads.incrementAndGet();
                    } catch (IllegalStateException expected) {
                        invalidated.incrementAndGet(); // a view closed under us, or a page protected NONE
                    } catch (Throwable t) {
                        failures.add(t);
                        return;
                    }
                }
            }));
        }
        try {
            for (int i = 0; i < 240 && failures.isEmpty(); i++) {
                switch (i % 6) {
                    case 0 -> region.tryGrow(1);
                    case 1 -> region.protect(0, granule, Protection.READ);
                    case 2 -> {
                        region.protect(0, granule, Protection.READ_WRITE);
                        region.segment(0, granule).fill(pattern());
                    }
                    case 3 -> region.discard(0, region.committedBytes());
                    case 4 -> region.protect(granule, granule, Protection.NONE);
                    default -> {
                        region.protect(granule, granule, Protection.READ_WRITE);
                        region.segment().fill(pattern());
                    }
                }
                if (i % 24 == 0) {
                    Thread.sleep(1); // let readers take fresh views between bursts
                }
            }
        } finally {
            stop.set(true);
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(timeoutSeconds()));
            }
        }
        failures.forEach(Throwable::printStackTrace);
        assertTrue(failures.isEmpty(), () -> "readers failed: " + failures);
        assertTrue(reads.get() > 0, "readers read nothing");
        assertEquals(maximum, region.pages());
        assertLayout(region, maximum * WASM_PAGE);
        assertWritableExecutableFree();
    }

    /**
     * Threads allocating, growing and deallocating at once get regions at distinct addresses that no other
     * thread writes, and the statistics balance to zero.
     *
     * @throws InterruptedException if interrupted while waiting for the threads
     */
    @Test
    default void shouldAllocateAndDeallocateFromManyThreads() throws InterruptedException {
        PageAllocator allocator = allocator(b -> b);
        int threadCount = Math.max(2, concurrencyThreads());
        int iterations = 60;
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        Set<Long> liveBases = ConcurrentHashMap.newKeySet();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < threadCount; t++) {
            byte mark = (byte) (t + 1);
            threads.add(Thread.ofPlatform().name("contract-allocator-" + t).start(() -> {
                ArrayDeque<Region> mine = new ArrayDeque<>();
                try {
                    start.await();
                    for (int i = 0; i < iterations; i++) {
                        Region region = allocator.allocate(1, 4);
                        mine.add(region);
                        if (!liveBases.add(region.address())) {
                            throw new AssertionError("two live regions at " + Units.hex(region.address()));
                        }
                        region.segment().fill(mark);
                        region.grow(1);
                        region.segment(WASM_PAGE, WASM_PAGE).fill(mark);
                        if (mine.size() > 3) {
                            Region old = mine.poll();
                            assertFilled(old.segment(), mark, "a region other threads never touched");
                            liveBases.remove(old.address());
                            old.deallocate();
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                } finally {
                    for (Region r : mine) {
                        liveBases.remove(r.address());
                        r.deallocate();
                    }
                }
            }));
        }
        start.countDown();
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(timeoutSeconds()));
        }
        assertTrue(failures.isEmpty(), () -> "threads failed: " + failures);
        var s = allocator.statistics();
        assertEquals(0, s.liveRegions());
        assertEquals(0, s.reservedBytes());
        assertEquals(0, s.committedBytes());
        assertEquals((long) threadCount * iterations, s.allocations());
        assertEquals((long) threadCount * iterations, s.deallocations());
        assertEquals((long) threadCount * iterations, s.grows());
    }

    /**
     * Concurrent grows of one region are serialized: each returns a distinct previous size, and the grown
     * pages read zero.
     *
     * @throws InterruptedException if interrupted while waiting for the threads
     */
    @Test
    default void shouldSerializeGrowsFromSeveralThreads() throws InterruptedException {
        int threadCount = Math.max(2, concurrencyThreads());
        int growsEach = 16;
        PageAllocator allocator = allocator(b -> b.withPageBytes(1));
        long granule = allocator.capabilities().pageBytes();
        Region region = allocate(allocator, 0, (long) threadCount * growsEach * granule / 2);
        Set<Long> befores = ConcurrentHashMap.newKeySet();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < threadCount; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                    for (int i = 0; i < growsEach; i++) {
                        long before = region.grow(granule / 2);
                        if (!befores.add(before)) {
                            throw new AssertionError("two grows returned the same size " + before);
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        start.countDown();
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(timeoutSeconds()));
        }
        assertTrue(failures.isEmpty(), () -> "threads failed: " + failures);
        assertEquals(region.maximumPages(), region.pages());
        assertEquals(threadCount * growsEach, befores.size());
        for (long before : befores) {
            assertEquals(0, before % (granule / 2), "every grow saw a size another grow left");
        }
        assertLayout(region, region.byteSize());
        assertZero(region.segment(), "grown pages");
    }

    /**
     * Another thread's deallocate, protect, decommit and view access of a confined region throw {@code
     * WrongThreadException} and change nothing; its grow, which takes no access away, succeeds.
     *
     * @throws InterruptedException if interrupted while waiting for the other thread
     */
    @Test
    default void shouldRefuseToTakeAConfinedRegionFromAnotherThread() throws InterruptedException {
        PageAllocator allocator = allocator(b -> b.withViewSharing(ViewSharing.CONFINED));
        Region region = allocate(allocator, 2, 4);
        long granule = region.protectionGranuleBytes();
        MemorySegment view = region.segment();
        view.fill((byte) 0x3C);
        List<Throwable> seen = new ArrayList<>();
        Thread other = Thread.ofPlatform().start(() -> {
            seen.add(catching(region::deallocate));
            seen.add(catching(() -> region.protect(0, granule, Protection.NONE)));
            seen.add(catching(() -> region.decommit(0, granule)));
            seen.add(catching(() -> view.get(JAVA_BYTE, 0)));
            seen.add(catching(() -> region.grow(1)));
        });
        other.join(TimeUnit.SECONDS.toMillis(timeoutSeconds()));
        String prefix = "deallocate(): views of the region at " + Units.hex(region.address())
                + " are confined to thread \"" + Thread.currentThread().getName() + "\" (#"
                + Thread.currentThread().threadId() + "), which made them and is alive; call from that thread";
        for (int i = 0; i < 4; i++) {
            if (!(seen.get(i) instanceof WrongThreadException)) {
                fail("call " + i + " from another thread: expected WrongThreadException, got " + seen.get(i));
            }
        }
        assertTrue(seen.get(0).getMessage().startsWith(prefix), seen.get(0).getMessage());
        assertEquals(null, seen.get(4), "grow takes no access away, so any thread may grow");
        assertTrue(region.isAlive(), "a refused deallocate leaves the region alive");
        assertEquals(Protection.READ_WRITE, region.protectionAt(0));
        assertLayout(region, 3 * WASM_PAGE);
        assertFilled(view, (byte) 0x3C, "the region's contents");
        long start = reservationStart(region);
        long bytes = region.reservedBytes();
        region.deallocate();
        assertUnmapped(start, bytes, "region deallocated by its own thread");
    }

    private static Throwable catching(Runnable call) {
        try {
            call.run();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    /**
     * Once the thread that made a confined region's views has ended, another thread may change, take over and
     * deallocate the region; the ended thread's view throws instead of faulting.
     *
     * @param kind the kind of thread that makes the views: {@code platform}, {@code virtual} or {@code pool}
     * @throws Exception if the wait for the owner thread is interrupted, or the pool's task fails or times out
     */
    @ParameterizedTest
    @ValueSource(strings = {"platform", "virtual", "pool"})
    default void shouldReleaseAConfinedRegionWhoseViewsBelongToAThreadThatHasEnded(String kind) throws Exception {
        Region region = allocate(allocator(b -> b.withViewSharing(ViewSharing.CONFINED)), 2, 4);
        long granule = region.protectionGranuleBytes();
        AtomicReference<MemorySegment> abandoned = new AtomicReference<>();
        Runnable owner = () -> {
            MemorySegment view = region.segment();
            view.fill((byte) 0x5A);
            abandoned.set(view);
        };
        switch (kind) {
            case "platform" -> Thread.ofPlatform().start(owner).join();
            case "virtual" -> Thread.ofVirtual().start(owner).join();
            default -> {
                List<Thread> workers = new CopyOnWriteArrayList<>();
                ExecutorService pool = Executors.newFixedThreadPool(1, task -> {
                    Thread worker = Thread.ofPlatform().unstarted(task);
                    workers.add(worker);
                    return worker;
                });
                pool.submit(owner).get(timeoutSeconds(), TimeUnit.SECONDS);
                pool.shutdown();
                assertTrue(pool.awaitTermination(timeoutSeconds(), TimeUnit.SECONDS), "the pool terminated");
                // awaitTermination returns from inside the last worker's exit, a moment before its
                // thread ends: until then the views are still that thread's.
                workers.getFirst().join(TimeUnit.SECONDS.toMillis(timeoutSeconds()));
            }
        }
        region.decommit(0, granule);
        assertKernel(region.address(), granule, Protection.NONE, "page decommitted by another thread");
        assertThrows(WrongThreadException.class, () -> abandoned.get().get(JAVA_BYTE, granule),
                "the ended thread's view stays unusable from here, never a fault");
        MemorySegment mine = region.segment(granule, granule);
        assertFilled(mine, (byte) 0x5A, "the next thread to ask owns the views");
        region.protect(granule, granule, Protection.READ);
        assertKernel(region.address() + granule, granule, Protection.READ, "protected by the new owner");
        long start = reservationStart(region);
        long bytes = region.reservedBytes();
        region.deallocate();
        assertUnmapped(start, bytes, "region of a " + kind + " thread that ended, deallocated by another");
        assertThrows(IllegalStateException.class, () -> mine.get(JAVA_BYTE, 0));
    }

    /**
     * Another thread is refused a confined region's views while their owner lives, and may take them once
     * every view was invalidated.
     *
     * @throws Exception if interrupted while waiting for the other threads
     */
    @Test
    default void shouldRefuseAConfinedViewToAnotherThreadAtOnceAndHandItOverOnceInvalidated() throws Exception {
        Region region = allocate(allocator(b -> b.withViewSharing(ViewSharing.CONFINED)), 2, 4);
        long granule = region.protectionGranuleBytes();
        AtomicReference<MemorySegment> made = new AtomicReference<>();
        Thread.ofVirtual().start(() -> made.set(region.segment())).join();
        made.get(); // made on a thread that has ended: a region created on one thread and used on another
        MemorySegment view = region.segment();
        view.set(JAVA_BYTE, 0, (byte) 7);
        List<Throwable> seen = new ArrayList<>();
        Thread.ofPlatform().name("other").start(() -> {
            seen.add(catching(region::segment));
            seen.add(catching(() -> region.segment(0, 1)));
        }).join();
        String owner = "are confined to thread \"" + Thread.currentThread().getName() + "\" (#"
                + Thread.currentThread().threadId() + "), which made them and is alive";
        for (Throwable t : seen) {
            if (!(t instanceof WrongThreadException)) {
                fail("a view asked for by another thread while the owner lives: expected WrongThreadException, got "
                        + t);
            }
            assertTrue(t.getMessage().contains(owner) && t.getMessage().endsWith(
                    "or build the allocator withViewSharing(ViewSharing.SHARED)"), t.getMessage());
        }
        region.protect(0, granule, Protection.READ);
        region.protect(0, granule, Protection.READ_WRITE);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread other = Thread.ofPlatform().start(() -> failure.set(catching(() -> {
            MemorySegment theirs = region.segment();
            assertEquals(7, theirs.get(JAVA_BYTE, 0));
            theirs.set(JAVA_BYTE, 1, (byte) 8);
            assertEquals(theirs, region.segment(), "the cached view, now theirs");
        })));
        other.join();
        assertEquals(null, failure.get(), "once every view was invalidated another thread may take them");
        assertEquals(8, region.segment(0, 2).get(JAVA_BYTE, 1), "and after it ended, this thread again");
    }

    /** The byte the readers expect wherever they see no zero: anything else is another owner's data. */
    private static byte pattern() {
        return 0x11;
    }

    /** How long a test waits for its threads, in seconds: far past any healthy run, short of a hang. */
    private static long timeoutSeconds() {
        return 60;
    }
}
