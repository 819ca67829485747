package dev.pagealloc.heap.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.testkit.Collections;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Found by {@code GcHeapFuzz} (module reliability), whose child JVM ran out of Java heap after some 13,000
 * chains: a thread's shadow stack, held in the heap's thread-local, refers to the heap, so the entry kept
 * every heap the thread had used reachable while the thread lived. Releasing the stack, or closing the heap on
 * that thread, removes the entry; and the entry refers to its stack only weakly (the heap holds its attached
 * stacks), so a stack that another live thread neither released nor closed does not keep its heap either.
 */
class GcHeapReleaseTest {

    @Test
    void aReleasedAndClosedHeapIsCollectable() throws InterruptedException {
        WeakReference<GcHeap> released = use(true);
        WeakReference<GcHeap> closedOnly = use(false);
        Collections.collectUntil(() -> released.get() == null && closedOnly.get() == null, Duration.ofSeconds(1));
        assertNull(released.get(), "a heap whose stack was released is still reachable");
        assertNull(closedOnly.get(), "a heap closed on its mutator thread is still reachable");
    }

    private static WeakReference<GcHeap> use(boolean release) {
        GcHeap heap = GcHeap.builder().build();
        int type = heap.registerType(new TypeLayout.Fixed("leaf", 16));
        ShadowStack stack = heap.shadowStack();
        stack.pushFrame();
        stack.addRoot(heap.allocate(type));
        if (release) {
            stack.release();
        }
        heap.close();
        return new WeakReference<>(heap);
    }

    @Test
    void aHeapIsCollectableWhileAnotherThreadThatAttachedToItLives() throws InterruptedException {
        CountDownLatch attached = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        AtomicReference<GcHeap> box = new AtomicReference<>(GcHeap.builder().build());
        AtomicReference<Throwable> failure = new AtomicReference<>();
        // The thread takes the heap out of the box, attaches, adds a root and keeps living (a pool thread
        // would): it neither releases its stack nor closes the heap, and no frame of it refers to the heap.
        Thread mutator = new Thread(() -> {
            try {
                attach(box.getAndSet(null), box);
                attached.countDown();
                finish.await();
            } catch (Throwable t) {
                failure.set(t);
                attached.countDown();
            }
        }, "gc-release-mutator");
        mutator.start();
        try {
            assertTrue(attached.await(30, TimeUnit.SECONDS), "the mutator did not attach");
            assertNull(failure.get(), () -> "the mutator failed: " + failure.get());
            WeakReference<GcHeap> heap = closeOnThisThread(box);
            Collections.collectUntil(() -> heap.get() == null, Duration.ofSeconds(1));
            assertTrue(mutator.isAlive());
            assertNull(heap.get(), "a heap closed elsewhere is still reachable from a live mutator thread's entry");
        } finally {
            finish.countDown();
            mutator.join();
        }
    }

    @Test
    void aStackStaysAttachedAndScannedWhileOnlyItsThreadRefersToIt() {
        GcHeap heap = GcHeap.builder().build();
        try {
            int type = heap.registerType(new TypeLayout.Fixed("leaf", 16));
            int slot = pushRoot(heap, type);
            // Only the heap's own set holds the stack now (the thread's entry is weak): collections must
            // still find it and update its root, and the thread must get the same stack back.
            for (int i = 0; i < 3; i++) {
                System.gc();
                heap.collect(true);
            }
            ShadowStack stack = heap.shadowStack();
            assertEquals(1, stack.depth());
            assertEquals(type, heap.typeOf(stack.root(slot)), "the root's object survived the collections");
            stack.popFrame();
            stack.release();
            assertThrows(IllegalStateException.class, stack::depth);
        } finally {
            heap.close();
        }
    }

    private static int pushRoot(GcHeap heap, int type) {
        ShadowStack stack = heap.shadowStack();
        stack.pushFrame();
        return stack.addRoot(heap.allocate(type));
    }

    private static void attach(GcHeap heap, AtomicReference<GcHeap> box) {
        int type = heap.registerType(new TypeLayout.Fixed("leaf", 16));
        pushRoot(heap, type);
        box.set(heap);
    }

    private static WeakReference<GcHeap> closeOnThisThread(AtomicReference<GcHeap> box) {
        GcHeap heap = box.getAndSet(null);
        heap.close();
        return new WeakReference<>(heap);
    }
}
