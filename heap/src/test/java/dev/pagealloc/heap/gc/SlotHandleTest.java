package dev.pagealloc.heap.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.TagMismatchException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * {@link ReferenceSlot} handles ({@link GcHeap#referenceSlot}) and the stack's calls that take them: what they read
 * and write, and every way they refuse, with nothing written on refusal; a released type's handles against its
 * reused id; stress-mode and checked heaps.
 */
class SlotHandleTest {

    private static final TypeLayout CELL = new TypeLayout.Fixed("Cell", 24, 0, 16); // a plain word at 8
    /** Cell's twin under another name: the same size and slots, another type id. */
    private static final TypeLayout TWIN = new TypeLayout.Fixed("Twin", 24, 0, 16);

    @Test
    void makingAHandleRefusesWhatIsNoReferenceSlotOfAFixedType() {
        GcHeap heap = GcHeap.builder().build();
        int cell = heap.registerType(CELL);
        int array = heap.registerType(new TypeLayout.ReferenceArray("Cell[]"));
        assertMessage(IllegalArgumentException.class, () -> heap.referenceSlot(999, 0),
                "referenceSlot(typeId=999): unknown type id");
        assertMessage(IllegalArgumentException.class, () -> heap.referenceSlot(0, 0), "unknown type id");
        assertMessage(IllegalArgumentException.class, () -> heap.referenceSlot(array, 0),
                "is a reference array type; slot handles are for fixed types");
        for (long offset : new long[] {8, 4, 24, -8, 1L << 40}) {
            assertMessage(IllegalArgumentException.class, () -> heap.referenceSlot(cell, offset),
                    "byteOffset=" + offset + "): not a reference slot of type", "its reference offsets are [0, 16]");
        }
        ReferenceSlot slot = heap.referenceSlot(cell, 16);
        assertSame(slot, heap.referenceSlot(cell, 16), "one handle per slot");
        assertEquals(cell, slot.typeId());
        assertEquals(16, slot.byteOffset());
        assertTrue(slot.isValid());
        heap.close();
        assertMessage(IllegalStateException.class, () -> heap.referenceSlot(cell, 0),
                "referenceSlot: the heap is closed");
    }

    @Test
    void handlesReadAndWriteWhatTheOffsetFormsDoInEverySpace() {
        try (GcHeap heap = GcHeap.builder().withVerifyAfterCollection(true).build()) {
            int cell = heap.registerType(CELL);
            ReferenceSlot left = heap.referenceSlot(cell, 0);
            ReferenceSlot right = heap.referenceSlot(cell, 16);
            ShadowStack stack = heap.shadowStack();
            stack.pushFrame();
            long a = stack.allocate(cell);
            stack.push(a);
            long b = stack.allocate(cell);
            long node = stack.allocate(cell, stack.pop(), b);
            assertEquals(a, stack.getReference(left, node));
            assertEquals(b, stack.getReference(right, node));
            stack.setReference(right, node, a);
            assertEquals(a, stack.getReference(node, 16), "the handle wrote the offset form's slot");
            assertEquals(0, heap.getLong(node, 8), "the plain word between stays zero");
            int root = stack.addRoot(node);
            heap.collect(true); // node and a are old now
            long old = stack.root(root);
            assertNotEquals(node, old);
            long young = stack.allocate(cell);
            stack.setReference(left, stack.root(root), young);
            heap.verify(); // the old holder's card was dirtied: the old-to-young reference is remembered
            assertEquals(young, stack.getReference(left, stack.root(root)));
            heap.collect(false);
            long moved = stack.getReference(left, stack.root(root));
            assertNotEquals(young, moved, "the young value was copied, and the old holder's slot updated");
            assertEquals(stack.getReference(right, stack.root(root)), stack.getReference(stack.root(root), 16));
            stack.popFrame();
        }
    }

    @Test
    void aLargeHolderTakesTheLockedPathAndIsLogged() {
        try (GcHeap heap = GcHeap.builder().withLargeObjectThresholdBytes(4096).withVerifyAfterCollection(true)
                .build()) {
            int big = heap.registerType(new TypeLayout.Fixed("Big", 8192, 0, 4096));
            int cell = heap.registerType(CELL);
            ReferenceSlot far = heap.referenceSlot(big, 4096);
            ShadowStack stack = heap.shadowStack();
            stack.pushFrame();
            int root = stack.addRoot(stack.allocate(big));
            long young = stack.allocate(cell);
            stack.setReference(far, stack.root(root), young);
            heap.verify(); // the large holder was logged by the locked barrier
            assertEquals(young, stack.getReference(far, stack.root(root)));
            heap.collect(false);
            assertTrue(heap.isHeapPointer(stack.getReference(far, stack.root(root))), "kept and updated");
            stack.popFrame();
        }
    }

    @Test
    void refusesObjectsOfOtherTypesAndNonObjectsAndWritesNothing() {
        try (GcHeap heap = GcHeap.builder().build()) {
            int cell = heap.registerType(CELL);
            int twin = heap.registerType(TWIN);
            ReferenceSlot left = heap.referenceSlot(cell, 0);
            ShadowStack stack = heap.shadowStack();
            stack.push(stack.allocate(cell));
            long other = stack.allocate(twin); // known to the stack: its header alone refuses it
            long object = stack.allocate(cell);
            String otherType = "the object is of type id " + twin + ", not the slot's type id " + cell;
            assertMessage(IllegalArgumentException.class, () -> stack.getReference(left, other), otherType);
            assertMessage(IllegalArgumentException.class, () -> stack.setReference(left, other, 0), otherType);
            stack.push(other);
            stack.push(object);
            heap.collect(false); // the stack forgets them: the object-start test runs again
            long movedObject = stack.pop();
            long movedOther = stack.pop();
            long value = stack.pop();
            assertMessage(IllegalArgumentException.class, () -> stack.setReference(left, movedOther, value),
                    otherType);
            assertEquals(0, stack.getReference(movedOther, 0), "nothing was written");
            long nurseryBase = heap.nursery.base;
            // Misaligned addresses, and the nursery's ends: no object starts at its first word, whose bit is never set.
            long[] bads = {0, movedObject + 8, movedObject - 8, 12345, -8, movedObject + 4, movedObject - 1,
                nurseryBase, nurseryBase - 8, nurseryBase + 3, heap.nursery.end};
            for (long bad : bads) {
                assertMessage(IllegalArgumentException.class, () -> stack.getReference(left, bad),
                        "not an object of this heap");
                assertMessage(IllegalArgumentException.class, () -> stack.setReference(left, bad, value),
                        "not an object of this heap");
            }
            // A payload word that looks like a Cell's header: only the object-start test tells the address after it
            // from an object.
            heap.setLong(movedObject, 8, Header.of(cell, 24));
            assertMessage(IllegalArgumentException.class, () -> stack.getReference(left, movedObject + 16),
                    "not an object of this heap");
            assertMessage(IllegalArgumentException.class, () -> stack.setReference(left, movedObject + 16, value),
                    "not an object of this heap");
            assertEquals(0, stack.getReference(movedObject, 16), "nothing was written over the forged header");
            assertMessage(IllegalArgumentException.class, () -> stack.setReference(left, movedObject, value + 8),
                    "value is not an object of this heap");
            assertEquals(0, stack.getReference(left, movedObject), "nothing was written");
            assertThrows(NullPointerException.class, () -> stack.getReference(null, movedObject));
            assertThrows(NullPointerException.class, () -> stack.setReference(null, movedObject, 0));
        }
    }

    @Test
    void aReleasedTypesHandleRefusesTheReusedIdsObjects() {
        try (GcHeap heap = GcHeap.builder().build()) {
            int pair = heap.registerType(new TypeLayout.Fixed("Pair", 16, 0, 8));
            ReferenceSlot second = heap.referenceSlot(pair, 8);
            ShadowStack stack = heap.shadowStack();
            stack.pushFrame();
            int root = stack.addRoot(stack.allocate(pair));
            assertFalse(heap.releaseType(pair), "an object of the type is live");
            assertTrue(second.isValid(), "a refused release leaves the handle valid");
            assertEquals(0, stack.getReference(second, stack.root(root)));
            stack.setRoot(root, 0);
            assertTrue(heap.releaseType(pair));
            // The same id and the same payload size, so the same header bits as the released type's objects; its
            // word 1 is plain data, and holds a value that is no object.
            int words = heap.registerType(new TypeLayout.Fixed("Words", 16));
            assertEquals(pair, words, "the released id is given out again");
            long object = stack.allocate(words);
            heap.setLong(object, 8, 0x5eed_0000_0008L);
            String released = "type id " + pair + " was released";
            assertMessage(IllegalArgumentException.class, () -> stack.getReference(second, object), released);
            assertMessage(IllegalArgumentException.class, () -> stack.setReference(second, object, 0), released);
            assertEquals(0x5eed_0000_0008L, heap.getLong(object, 8), "nothing was written");
            assertFalse(second.isValid());
            assertMessage(IllegalArgumentException.class, () -> heap.referenceSlot(words, 8), "not a reference slot");
            assertTrue(heap.releaseType(words));
            int again = heap.registerType(new TypeLayout.Fixed("Pair", 16, 0, 8));
            assertEquals(pair, again);
            ReferenceSlot fresh = heap.referenceSlot(again, 8);
            assertNotSame(second, fresh, "the reused id's slot gets a new handle");
            long node = stack.allocate(again, 0, stack.allocate(again));
            assertTrue(heap.isHeapPointer(stack.getReference(fresh, node)));
            assertMessage(IllegalArgumentException.class, () -> stack.getReference(second, node), released);
            stack.popFrame();
        }
    }

    @Test
    void refusesAnotherHeapsHandle() {
        try (GcHeap heap = GcHeap.builder().build(); GcHeap otherHeap = GcHeap.builder().build()) {
            int cell = heap.registerType(CELL);
            ReferenceSlot foreign = otherHeap.referenceSlot(otherHeap.registerType(CELL), 0);
            assertEquals(cell, foreign.typeId(), "the same id and layout in both heaps");
            ShadowStack stack = heap.shadowStack();
            long object = stack.allocate(cell);
            String message = "the slot handle belongs to another heap";
            assertMessage(IllegalArgumentException.class, () -> stack.getReference(foreign, object), message);
            assertMessage(IllegalArgumentException.class, () -> stack.setReference(foreign, object, object), message);
            assertEquals(0, stack.getReference(object, 0), "nothing was written");
        }
    }

    @Test
    void refusesAnotherThreadAReleasedStackAndAClosedHeap() throws Exception {
        GcHeap heap = GcHeap.builder().build();
        int cell = heap.registerType(CELL);
        ReferenceSlot left = heap.referenceSlot(cell, 0);
        ShadowStack stack = heap.shadowStack();
        long object = stack.allocate(cell);
        for (Executable call : calls(stack, left, object)) {
            Throwable thrown = Intruder.thrownBy(call);
            assertTrue(thrown instanceof WrongThreadException, String.valueOf(thrown));
            assertTrue(thrown.getMessage().startsWith("getReference: this shadow stack belongs to thread ")
                    || thrown.getMessage().startsWith("setReference: this shadow stack belongs to thread "),
                    thrown.getMessage());
        }
        assertEquals(0, stack.getReference(left, object), "the refused store wrote nothing");
        stack.release();
        for (Executable call : calls(stack, left, object)) {
            assertMessage(IllegalStateException.class, call, "the shadow stack is released");
        }
        ShadowStack again = heap.shadowStack();
        long live = again.allocate(cell);
        heap.close();
        for (Executable call : calls(again, left, live)) {
            assertMessage(IllegalStateException.class, call, "the heap is closed");
        }
    }

    /** Both calls with a handle, each with valid arguments: a read, and a store of the object into itself. */
    private static List<Executable> calls(ShadowStack stack, ReferenceSlot slot, long object) {
        return List.of(() -> stack.getReference(slot, object), () -> stack.setReference(slot, object, object));
    }

    @Test
    void aStressHeapReadsAndWritesThroughHandlesBetweenCollections() {
        try (GcHeap heap = GcHeap.builder().withCollectEveryAllocations(1).withVerifyAfterCollection(true).build()) {
            int cell = heap.registerType(CELL);
            ReferenceSlot left = heap.referenceSlot(cell, 0);
            ReferenceSlot right = heap.referenceSlot(cell, 16);
            ShadowStack stack = heap.shadowStack();
            stack.pushFrame();
            int root = stack.addRoot(stack.allocate(cell));
            long before = heap.statistics().minorCollections();
            for (int i = 0; i < 20; i++) {
                long child = stack.allocate(cell); // collects: the root moves
                stack.setReference(i % 2 == 0 ? left : right, stack.root(root), child);
                assertEquals(child, stack.getReference(i % 2 == 0 ? left : right, stack.root(root)));
            }
            assertEquals(before + 20, heap.statistics().minorCollections(), "every allocation collected");
            assertTrue(heap.isHeapPointer(stack.getReference(left, stack.root(root))));
            stack.popFrame();
        }
    }

    @Test
    void aCheckedHeapTakesTheLockedPathWithTagsAndTypes() {
        try (GcHeap heap = GcHeap.builder().withObjectTags(new ArrayTagSpaces(11)).build()) {
            int cell = heap.registerType(CELL);
            int twin = heap.registerType(TWIN);
            ReferenceSlot left = heap.referenceSlot(cell, 0);
            ShadowStack stack = heap.shadowStack();
            long child = stack.allocate(cell);
            stack.push(child);
            long node = stack.allocate(cell);
            child = stack.pop();
            stack.setReference(left, node, child);
            assertEquals(child, stack.getReference(left, node), "the stored reference comes back with its tag");
            long stale = node ^ (1L << 56);
            assertThrows(TagMismatchException.class, () -> stack.getReference(left, stale), "a wrong tag");
            assertThrows(TagMismatchException.class, () -> stack.setReference(left, stale, 0));
            assertEquals(child, stack.getReference(left, node), "nothing was written");
            long other = stack.allocate(twin);
            assertMessage(IllegalArgumentException.class, () -> stack.getReference(left, other),
                    "not the slot's type id");
        }
    }

    private static void assertMessage(Class<? extends Throwable> type, Executable call, String... parts) {
        Throwable thrown = assertThrows(type, call);
        for (String part : parts) {
            assertTrue(thrown.getMessage() != null && thrown.getMessage().contains(part),
                    "expected \"" + part + "\" in: " + thrown.getMessage());
        }
    }
}
