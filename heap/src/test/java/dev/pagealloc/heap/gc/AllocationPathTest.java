package dev.pagealloc.heap.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The allocation and root paths of {@link ShadowStack}: {@code allocate} (both forms), {@code allocatePopped},
 * {@code push} and {@code pop}. A collection inside a two-reference allocation keeps both references and stores
 * their new addresses, unbalanced pops and non-objects are refused with nothing changed, and every payload reads
 * zero in eden blocks reused across collections, on the lock-free paths and on the stress-mode (locked) ones.
 */
class AllocationPathTest {

    /** References at words 0 and 1 (the pair table's shape) and a plain word at 16 for a marker. */
    private static final TypeLayout NODE = new TypeLayout.Fixed("Node", 24, 0, 8);
    /** References at words 0 and 2: the two-reference paths that read the type's object. */
    private static final TypeLayout SPREAD = new TypeLayout.Fixed("Spread", 32, 0, 16);

    private static final long NURSERY_BYTES = 4 * GcHeapBuilder.MINIMUM_BLOCK_BYTES;

    @Test
    void aCollectionInsideATwoReferenceAllocationKeepsAndUpdatesBoth() {
        for (int everyAllocations : new int[] {0, 3}) { // buffers running out of blocks; stress mode
            try (GcHeap heap = GcHeap.builder().withNurseryBytes(NURSERY_BYTES)
                    .withCollectEveryAllocations(everyAllocations).withVerifyAfterCollection(true).build()) {
                int node = heap.registerType(NODE);
                int spread = heap.registerType(SPREAD);
                ShadowStack stack = heap.shadowStack();
                int[] inside = new int[3];
                Random random = new Random(11);
                for (long i = 1; i < 200_000 && (inside[0] < 3 || inside[1] < 3 || inside[2] < 3); i++) {
                    int form = (int) (i % 3);
                    int type = form == 2 ? spread : node;
                    long secondOffset = form == 2 ? 16 : 8;
                    for (int filler = random.nextInt(4); filler > 0; filler--) { // each form meets a full buffer
                        stack.allocate(node);
                    }
                    long first = stack.allocate(node);
                    heap.setLong(first, 16, i);
                    stack.push(first);
                    long second = stack.allocate(node);
                    heap.setLong(second, 16, -i);
                    long collections = heap.statistics().minorCollections();
                    long object = form == 0 ? stack.allocatePopped(type, second)
                            : stack.allocate(type, stack.pop(), second);
                    if (heap.statistics().minorCollections() == collections) {
                        continue;
                    }
                    inside[form]++;
                    long firstNow = stack.getReference(object, 0);
                    long secondNow = stack.getReference(object, secondOffset);
                    assertTrue(heap.isHeapPointer(firstNow) && heap.isHeapPointer(secondNow), "form " + form);
                    assertNotEquals(first, firstNow, "the collection copied the first reference out of eden");
                    assertNotEquals(second, secondNow, "and the second one");
                    assertEquals(i, heap.getLong(firstNow, 16), "form " + form + ": the first reference's object");
                    assertEquals(-i, heap.getLong(secondNow, 16), "form " + form + ": the second reference's object");
                    heap.verify();
                }
                assertTrue(inside[0] >= 3 && inside[1] >= 3 && inside[2] >= 3,
                        "collections ran inside each form: " + Arrays.toString(inside));
            }
        }
    }

    @Test
    void unbalancedPopsAreRefusedWithNothingChanged() {
        try (GcHeap heap = GcHeap.builder().build()) {
            int node = heap.registerType(NODE);
            ShadowStack stack = heap.shadowStack();
            long outer = stack.allocate(node);
            stack.push(outer);
            stack.pushFrame();
            long cursor = stack.bufferCursor;
            IllegalStateException pop = assertThrows(IllegalStateException.class, stack::pop);
            assertTrue(pop.getMessage().contains("unbalanced pop"), pop.getMessage());
            IllegalStateException popped = assertThrows(IllegalStateException.class,
                    () -> stack.allocatePopped(node, 0));
            assertTrue(popped.getMessage().contains("allocatePopped(typeId=" + node), popped.getMessage());
            assertEquals(cursor, stack.bufferCursor, "nothing was allocated");
            assertEquals(1, stack.depth());
            stack.popFrame();
            assertEquals(outer, stack.pop(), "the outer frame's root is still there");
            assertThrows(IllegalStateException.class, stack::pop);
        }
    }

    @Test
    void aRefusedAllocatePoppedKeepsItsRoot() {
        try (GcHeap heap = GcHeap.builder().build()) {
            int node = heap.registerType(NODE);
            int words = heap.registerType(new TypeLayout.Fixed("Words", 16)); // no reference slot
            ShadowStack stack = heap.shadowStack();
            long held = stack.allocate(node);
            stack.push(held);
            long notAnObject = held + 8;
            assertThrows(IllegalArgumentException.class, () -> stack.allocatePopped(node, notAnObject));
            assertThrows(IllegalArgumentException.class, () -> stack.allocatePopped(words, 0));
            assertThrows(IllegalArgumentException.class, () -> stack.allocatePopped(0, 0));
            assertThrows(IllegalArgumentException.class, () -> stack.allocatePopped(1000, 0));
            assertEquals(held, stack.pop(), "every refused call left the root pushed");
        }
    }

    @Test
    void aCheckedHeapTakesTheLockedPathAndStoresTheTaggedReferences() {
        try (GcHeap heap = GcHeap.builder().withObjectTags(new ArrayTagSpaces(7)).build()) {
            int node = heap.registerType(NODE);
            ShadowStack stack = heap.shadowStack();
            long left = stack.allocate(node);
            long right = stack.allocate(node);
            stack.push(left);
            long object = stack.allocatePopped(node, right);
            assertEquals(left, stack.getReference(object, 0), "the popped root comes back with its tag");
            assertEquals(right, stack.getReference(object, 8));
            stack.push(left);
            assertThrows(dev.pagealloc.api.TagMismatchException.class,
                    () -> stack.allocatePopped(node, right ^ (1L << 56)), "a wrong tag is refused");
            assertEquals(left, stack.pop(), "the refused call left the root pushed");
        }
    }

    @Test
    void aPushOfANonObjectIsRefusedWithNothingPushed() {
        try (GcHeap heap = GcHeap.builder().build()) {
            int node = heap.registerType(NODE);
            ShadowStack stack = heap.shadowStack();
            long object = stack.allocate(node);
            stack.pushFrame();
            for (long bad : new long[] {object + 8, object - 8, 12345, -8}) {
                assertThrows(IllegalArgumentException.class, () -> stack.push(bad), "0x" + Long.toHexString(bad));
                assertThrows(IllegalStateException.class, stack::pop, "nothing was pushed for 0x"
                        + Long.toHexString(bad));
            }
            stack.push(0);
            stack.push(object);
            assertEquals(object, stack.pop());
            assertEquals(0, stack.pop());
            stack.popFrame();
        }
    }

    @Test
    void pushGrowsTheStackPastItsFirstSlotsAndPopsInOrder() {
        try (GcHeap heap = GcHeap.builder().withVerifyAfterCollection(true).build()) {
            int node = heap.registerType(NODE);
            ShadowStack stack = heap.shadowStack();
            int count = 1000; // the slot array starts with 64
            for (int i = 0; i < count; i++) {
                long object = stack.allocate(node);
                heap.setLong(object, 16, i);
                stack.push(object);
            }
            heap.collect(false); // every pushed object is held only by its slot
            for (int i = count - 1; i >= 0; i--) {
                assertEquals(i, heap.getLong(stack.pop(), 16));
            }
            assertThrows(IllegalStateException.class, stack::pop);
        }
    }

    @Test
    void everyPayloadReadsZeroInEdenBlocksReusedAcrossCollections() {
        for (int everyAllocations : new int[] {0, 5}) {
            try (GcHeap heap = GcHeap.builder().withNurseryBytes(NURSERY_BYTES)
                    .withCollectEveryAllocations(everyAllocations).build()) {
                // Payloads of 8, 16 and 24 bytes (the unrolled stores), 40 (the loop), 96 (the fill); pairs whose
                // zeroing starts past their references (NODE: words 2, 5; SPREAD: words 1, 3).
                long[] sizes = {8, 16, 24, 40, 96};
                int[] plain = new int[sizes.length];
                for (int k = 0; k < sizes.length; k++) {
                    plain[k] = heap.registerType(new TypeLayout.Fixed("Words" + sizes[k], sizes[k]));
                }
                int node = heap.registerType(NODE);
                int wide = heap.registerType(new TypeLayout.Fixed("WideNode", 48, 0, 8));
                int spread = heap.registerType(SPREAD);
                ShadowStack stack = heap.shadowStack();
                long collectionsBefore = heap.statistics().minorCollections();
                for (int i = 0; i < 60_000; i++) {
                    int k = i % (sizes.length + 4);
                    long object;
                    long bytes;
                    if (k < sizes.length) {
                        object = stack.allocate(plain[k]);
                        bytes = sizes[k];
                    } else if (k == sizes.length) {
                        object = stack.allocate(node, 0, 0);
                        bytes = 24;
                    } else if (k == sizes.length + 1) {
                        stack.push(0);
                        object = stack.allocatePopped(wide, 0);
                        bytes = 48;
                    } else if (k == sizes.length + 2) {
                        object = stack.allocate(wide, 0, 0);
                        bytes = 48;
                    } else {
                        object = stack.allocate(spread, 0, 0);
                        bytes = 32;
                    }
                    for (long offset = 0; offset < bytes; offset += 8) {
                        assertEquals(0, AddressSpace.ALL.get(AddressSpace.WORD, object + offset),
                                "allocation " + i + " (" + bytes + " bytes), offset " + offset);
                        AddressSpace.ALL.set(AddressSpace.WORD, object + offset, -1L); // garbage for the next user
                    }
                }
                assertTrue(heap.statistics().minorCollections() - collectionsBefore >= 4,
                        "eden blocks were reused: " + heap.statistics().minorCollections() + " collections");
            }
        }
    }
}
