package dev.pagealloc.heap.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The thread-bound operations of {@link ShadowStack}: {@code push}/{@code pop}, {@code allocate},
 * {@code getReference}/{@code setReference}; what they do, and every way they refuse.
 */
class ShadowStackOperationsTest {

    private static final TypeLayout CELL = new TypeLayout.Fixed("Cell", 24, 0, 16); // references at 0 and 16

    @Test
    void popReturnsThePushedObjectAtItsAddressAfterACollectionMovedIt() {
        try (GcHeap heap = GcHeap.builder().withVerifyAfterCollection(true).build()) {
            int cell = heap.registerType(CELL);
            ShadowStack stack = heap.shadowStack();
            long a = stack.allocate(cell);
            heap.setLong(a, 8, 4242);
            stack.push(a);
            stack.push(0);
            heap.collect(false);
            assertEquals(0, stack.pop());
            long moved = stack.pop();
            assertNotEquals(a, moved, "the minor collection copied the pushed object out of eden");
            assertTrue(heap.isHeapPointer(moved));
            assertEquals(4242, heap.getLong(moved, 8));
        }
    }

    @Test
    void allocateAndReferencesMatchTheHeapsMethods() {
        try (GcHeap heap = GcHeap.builder().withVerifyAfterCollection(true).build()) {
            int cell = heap.registerType(CELL);
            ShadowStack stack = heap.shadowStack();
            stack.pushFrame();
            long left = stack.allocate(cell);
            stack.push(left);
            long right = stack.allocate(cell);
            long node = stack.allocate(cell, stack.pop(), right);
            assertEquals(left, stack.getReference(node, 0));
            assertEquals(right, stack.getReference(node, 16));
            assertEquals(0, heap.getLong(node, 8), "the plain word reads zero");
            stack.setReference(node, 16, left);
            assertEquals(left, heap.getReference(node, 16));
            int root = stack.addRoot(node);
            heap.collect(true); // node is now old: a store of a young value dirties its card
            long young = stack.allocate(cell);
            stack.setReference(stack.root(root), 0, young);
            heap.verify(); // every old-to-young reference remembered
            assertEquals(young, stack.getReference(stack.root(root), 0));
            stack.popFrame();
        }
    }

    @Test
    void aCollectionMakesTheStackForgetTheObjectsItHandedOut() {
        try (GcHeap heap = GcHeap.builder().build()) {
            int cell = heap.registerType(CELL);
            ShadowStack stack = heap.shadowStack();
            long allocated = stack.allocate(cell);
            stack.push(stack.allocate(cell, allocated, 0));
            long popped = stack.pop();
            long read = stack.getReference(popped, 0);
            heap.collect(false); // nothing holds them: their eden block is free now, their start bits cleared
            for (long stale : new long[] {allocated, popped, read}) {
                assertThrows(IllegalArgumentException.class, () -> stack.push(stale), "a stale address is checked");
                assertThrows(IllegalArgumentException.class, () -> stack.getReference(stale, 0));
                assertThrows(IllegalArgumentException.class, () -> stack.setReference(stale, 0, 0));
                assertThrows(IllegalArgumentException.class, () -> stack.allocate(cell, stale, 0));
            }
        }
    }

    @Test
    void anUnbalancedPopThrowsAndChangesNothing() {
        try (GcHeap heap = GcHeap.builder().build()) {
            int cell = heap.registerType(CELL);
            ShadowStack stack = heap.shadowStack();
            IllegalStateException empty = assertThrows(IllegalStateException.class, stack::pop);
            assertTrue(empty.getMessage().contains("unbalanced pop"), empty.getMessage());
            long object = stack.allocate(cell);
            stack.push(object);
            stack.pushFrame();
            // The pushed root belongs to the enclosing frame: the inner one has nothing to pop.
            IllegalStateException inner = assertThrows(IllegalStateException.class, stack::pop);
            assertTrue(inner.getMessage().contains("frames open: 1"), inner.getMessage());
            stack.push(0);
            stack.popFrame(); // drops the inner frame's push
            assertEquals(0, stack.depth());
            assertEquals(object, stack.pop());
            assertThrows(IllegalStateException.class, stack::pop);
        }
    }

    @Test
    void refusesValuesThatAreNoObjectsAndWritesNothing() {
        try (GcHeap heap = GcHeap.builder().build()) {
            int cell = heap.registerType(CELL);
            int one = heap.registerType(new TypeLayout.Fixed("One", 16, 0));
            ShadowStack stack = heap.shadowStack();
            long object = stack.allocate(cell);
            IllegalArgumentException push = assertThrows(IllegalArgumentException.class, () -> stack.push(object + 8));
            assertTrue(push.getMessage().contains("push(object=0x") && push.getMessage().contains("not an object"),
                    push.getMessage());
            assertThrows(IllegalStateException.class, stack::pop, "nothing was pushed");
            long allocated = heap.statistics().allocatedBytes();
            IllegalArgumentException first = assertThrows(IllegalArgumentException.class,
                    () -> stack.allocate(cell, object + 8, 0));
            assertTrue(first.getMessage().contains("not an object of this heap"), first.getMessage());
            assertThrows(IllegalArgumentException.class, () -> stack.allocate(cell, 0, 12345));
            assertThrows(IllegalArgumentException.class, () -> stack.allocate(one, 0, 0), "one reference slot");
            assertThrows(IllegalArgumentException.class, () -> stack.allocate(999));
            assertEquals(allocated, heap.statistics().allocatedBytes(), "nothing was allocated");
            assertThrows(IllegalArgumentException.class, () -> stack.getReference(object + 8, 0));
            assertThrows(IllegalArgumentException.class, () -> stack.getReference(object, 8), "a plain word");
            assertThrows(IndexOutOfBoundsException.class, () -> stack.getReference(object, 24), "past the payload");
            assertThrows(IndexOutOfBoundsException.class, () -> stack.getReference(object, 4), "misaligned");
            assertThrows(IllegalArgumentException.class, () -> stack.setReference(object, 0, object + 16));
            assertThrows(IllegalArgumentException.class, () -> stack.setReference(object + 8, 0, object));
            assertEquals(0, stack.getReference(object, 0), "nothing was written");
        }
    }

    @Test
    void everyOperationRefusesAnotherThread() throws Exception {
        try (GcHeap heap = GcHeap.builder().build()) {
            int cell = heap.registerType(CELL);
            ShadowStack stack = heap.shadowStack();
            long object = stack.allocate(cell);
            stack.push(object);
            for (Executable call : operations(stack, cell, object)) {
                Throwable thrown = Intruder.thrownBy(call);
                assertTrue(thrown instanceof WrongThreadException, String.valueOf(thrown));
                assertTrue(thrown.getMessage().contains("belongs to thread " + Thread.currentThread().getName())
                        && thrown.getMessage().contains("not intruder"), thrown.getMessage());
            }
            assertEquals(object, stack.pop(), "the refused calls changed nothing");
        }
    }

    @Test
    void everyOperationRefusesAReleasedStackAndAClosedHeap() {
        GcHeap heap = GcHeap.builder().build();
        int cell = heap.registerType(CELL);
        ShadowStack released = heap.shadowStack();
        long object = released.allocate(cell);
        released.push(object);
        released.release();
        for (Executable call : operations(released, cell, object)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, call);
            assertTrue(e.getMessage().contains("released"), e.getMessage());
        }
        ShadowStack stack = heap.shadowStack();
        object = stack.allocate(cell);
        stack.push(object);
        heap.close();
        for (Executable call : operations(stack, cell, object)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, call);
            assertTrue(e.getMessage().contains("the heap is closed"), e.getMessage());
        }
    }

    /** The stack's operations, each once with valid arguments. */
    private static List<Executable> operations(ShadowStack stack, int cell, long object) {
        List<Executable> calls = new ArrayList<>();
        calls.add(() -> stack.allocate(cell));
        calls.add(() -> stack.allocate(cell, object, 0));
        calls.add(() -> stack.getReference(object, 0));
        calls.add(() -> stack.setReference(object, 0, 0));
        calls.add(() -> stack.push(object));
        calls.add(stack::pop);
        calls.add(stack::pushFrame);
        calls.add(stack::depth);
        return calls;
    }

    @Test
    void aStressHeapCollectsOnEveryAllocationThroughTheStack() {
        try (GcHeap heap = GcHeap.builder().withCollectEveryAllocations(1).withVerifyAfterCollection(true).build()) {
            int cell = heap.registerType(CELL);
            ShadowStack stack = heap.shadowStack();
            long before = heap.statistics().minorCollections();
            stack.push(stack.allocate(cell));
            long right = stack.allocate(cell);
            long node = stack.allocate(cell, stack.pop(), right);
            assertEquals(before + 3, heap.statistics().minorCollections(), "the stress bit sends each to the lock");
            assertTrue(heap.isHeapPointer(stack.getReference(node, 0)));
            assertTrue(heap.isHeapPointer(stack.getReference(node, 16)));
        }
    }

    @Test
    void aCheckedHeapHandsOutTaggedAddressesThroughTheStack() {
        try (GcHeap heap = GcHeap.builder().withObjectTags(new ArrayTagSpaces(7)).build()) {
            int cell = heap.registerType(CELL);
            ShadowStack stack = heap.shadowStack();
            long left = stack.allocate(cell);
            stack.push(left);
            long node = stack.allocate(cell, stack.pop(), 0);
            assertTrue(heap.isHeapPointer(node) && heap.isHeapPointer(left));
            assertEquals(left, stack.getReference(node, 0), "the stored reference comes back with its tag");
            stack.push(node);
            assertEquals(node, stack.pop());
            assertThrows(dev.pagealloc.api.TagMismatchException.class,
                    () -> stack.getReference(node ^ (1L << 56), 0), "a wrong tag is refused");
        }
    }

    @Test
    void anAllocationWithRoomInItsBufferParksWhileACollectionWaits() throws Exception {
        try (GcHeap heap = GcHeap.builder().withVerifyAfterCollection(true).build()) {
            int cell = heap.registerType(CELL);
            ShadowStack stack = heap.shadowStack();
            stack.push(stack.allocate(cell)); // this thread's buffer now has room for thousands more
            long before = heap.statistics().minorCollections();
            CompletableFuture<Void> collector = CompletableFuture.runAsync(() -> heap.collect(false),
                    runnable -> Thread.ofPlatform().name("collector").start(runnable));
            while ((stack.gate() & ShadowStack.SAFEPOINT) == 0) {
                Thread.onSpinWait(); // the collector raised this stack's bit and waits for this thread
            }
            // The stack's state word says a safepoint is pending, so the bump is not taken: the allocation parks,
            // the collection runs, and only then does the allocation return.
            long object = stack.allocate(cell, stack.pop(), 0);
            assertEquals(before + 1, heap.statistics().minorCollections(), "the allocation waited for the collection");
            collector.get(10, TimeUnit.SECONDS);
            assertTrue(heap.isHeapPointer(stack.getReference(object, 0)), "the popped value was kept and updated");
        }
    }
}
