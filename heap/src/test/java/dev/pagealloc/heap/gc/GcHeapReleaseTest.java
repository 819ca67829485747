package dev.pagealloc.heap.gc;

import static org.junit.jupiter.api.Assertions.assertNull;

import java.lang.ref.WeakReference;
import org.junit.jupiter.api.Test;

/**
 * Found by {@code GcHeapFuzz} (module reliability), whose child JVM ran out of Java heap after some 13,000
 * chains: a thread's shadow stack, held in the heap's thread-local, refers to the heap, so the entry kept
 * every heap the thread had used reachable while the thread lived. Releasing the stack, or closing the heap on
 * that thread, removes the entry.
 */
class GcHeapReleaseTest {

    @Test
    void aReleasedAndClosedHeapIsCollectable() throws InterruptedException {
        WeakReference<GcHeap> released = use(true);
        WeakReference<GcHeap> closedOnly = use(false);
        for (int i = 0; i < 50 && (released.get() != null || closedOnly.get() != null); i++) {
            System.gc();
            Thread.sleep(20);
        }
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
}
