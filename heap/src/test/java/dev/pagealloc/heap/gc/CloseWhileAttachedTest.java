package dev.pagealloc.heap.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.testkit.Collections;
import dev.pagealloc.testkit.ProcMaps;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * The mutator fast paths read the heap's pages through one global-scope segment, which no arena guards: a
 * heap closed while another thread is still attached must not unmap what that thread may be reading. Then
 * close drops the pages (the kernel's view: no {@code Rss}) and keeps the mappings until the heap is
 * unreachable; with no other thread attached it unmaps at once ({@code GcHeapTest.shouldReturnEveryPageAtShutdown}).
 */
class CloseWhileAttachedTest {

    @Test
    void closeDropsThePagesAndUnmapsOnceTheHeapIsUnreachable() throws Exception {
        long[] nursery = new long[2];
        long[] cards = new long[2];
        CountDownLatch attached = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        Throwable[] afterClose = new Throwable[1];
        closeWhileAnotherThreadIsAttached(nursery, cards, attached, closed, afterClose);
        assertTrue(afterClose[0] instanceof IllegalStateException,
                "the attached thread's next call, after the close it waited for, throws: " + afterClose[0]);
        // The other thread has ended and nothing refers to the heap: DeferredUnmap unmaps its regions.
        Collections.collectUntil(() -> unmapped(nursery), Duration.ofSeconds(2));
        assertEquals(List.of("hole:" + (nursery[1] - nursery[0])), ProcMaps.permissions(nursery[0], nursery[1]),
                "the nursery is unmapped once the closed heap is unreachable");
        assertEquals(List.of("hole:" + (cards[1] - cards[0])), ProcMaps.permissions(cards[0], cards[1]),
                "the card table too");
    }

    private static void closeWhileAnotherThreadIsAttached(long[] nursery, long[] cards, CountDownLatch attached,
            CountDownLatch closed, Throwable[] afterClose) throws InterruptedException {
        GcHeap heap = GcHeap.builder().withNurseryBytes(512 << 10).withOldGenerationLimitBytes(8 << 20).build();
        int type = heap.registerType(new TypeLayout.Fixed("Pair", 16, 0, 8));
        nursery[0] = heap.nursery.base;
        nursery[1] = heap.nursery.end;
        cards[0] = heap.old.cardRegion.address();
        cards[1] = cards[0] + heap.old.cardRegion.byteSize();
        Thread mutator = new Thread(() -> {
            ShadowStack stack = heap.shadowStack();
            stack.pushFrame();
            long object = heap.allocate(type);
            heap.setReference(object, 8, object); // the fast path, so the pages are touched
            attached.countDown();
            try {
                closed.await();
                afterClose[0] = assertThrows(IllegalStateException.class, () -> heap.getReference(object, 0));
            } catch (Throwable e) {
                afterClose[0] = e;
            }
        });
        mutator.setDaemon(true);
        mutator.start();
        attached.await();
        heap.close();
        assertTrue(ProcMaps.permissions(nursery[0], nursery[1]).stream().noneMatch(r -> r.startsWith("hole")),
                "the nursery stays mapped while another attached thread lives");
        assertEquals(0, ProcMaps.sum(nursery[0], nursery[1], "Rss"), "but its pages are dropped");
        assertEquals(0, ProcMaps.sum(cards[0], cards[1], "Rss"), "and the card table's");
        closed.countDown();
        mutator.join();
    }

    private static boolean unmapped(long[] range) {
        return ProcMaps.permissions(range[0], range[1]).equals(List.of("hole:" + (range[1] - range[0])));
    }
}
