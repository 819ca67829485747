package dev.pagealloc.tagging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.MemoryTagging;
import dev.pagealloc.api.MemoryTagging.TagCheckMode;
import dev.pagealloc.api.MemoryTagging.TaggingPolicy;
import dev.pagealloc.api.TagMismatchException;
import dev.pagealloc.api.TagSpace;
import dev.pagealloc.heap.gc.GcHeap;
import dev.pagealloc.heap.gc.GcHeapBuilder;
import dev.pagealloc.heap.gc.ShadowStack;
import dev.pagealloc.heap.gc.TypeLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The GC heap's checked mode with the software tagger: a dead object's address after a collection, a moved
 * object's old address (minor copy, promotion, compaction) and an offset running past an object into its
 * neighbour each throw the tag mismatch naming the address, the pointer's tag and the memory's tag; the heap
 * verifier runs after every collection.
 */
class TaggedGcHeapTest {
    private static final MemoryTagging SYNC = MemoryTagging.of(TaggingPolicy.SOFTWARE, TagCheckMode.SYNC);

    private static GcHeapBuilder checked() {
        return GcHeap.builder().withNurseryBytes(1 << 20).withOldGenerationLimitBytes(16 << 20)
                .withLargeObjectThresholdBytes(4096).withVerifyAfterCollection(true)
                .withObjectTags(GcObjectTagging.software(SYNC));
    }

    /** Asserts that {@code access} throws the mismatch at {@code address} for {@code pointer}; returns it. */
    private static TagMismatchException mismatch(long pointer, long address, Executable access) {
        TagMismatchException e = assertThrows(TagMismatchException.class, access);
        assertEquals(address, e.address());
        assertEquals(TagSpace.tagOf(pointer), e.pointerTag());
        assertNotEquals(e.pointerTag(), e.memoryTag());
        assertTrue(e.getMessage().contains("tag mismatch at 0x" + Long.toHexString(address) + ": pointer tag "
                + e.pointerTag() + ", memory tag " + e.memoryTag()), e.getMessage());
        return e;
    }

    @Test
    void shouldCatchADeadObjectsAddressAfterAMinorCollection() {
        try (GcHeap heap = checked().build()) {
            int node = heap.registerType(new TypeLayout.Fixed("Node", 24, 0));
            ShadowStack stack = heap.shadowStack();
            stack.pushFrame();
            long live = heap.allocate(node);
            stack.addRoot(live);
            long dead = heap.allocate(node);
            heap.setLong(dead, 8, 5);
            assertNotEquals(0, TagSpace.tagOf(dead), "a checked heap hands out tagged pointers");
            assertEquals(5, heap.getLong(dead, 8));
            assertTrue(heap.isHeapPointer(dead));

            heap.collect(false);

            mismatch(dead, TagSpace.addressOf(dead) + 8, () -> heap.getLong(dead, 8));
            mismatch(dead, TagSpace.addressOf(dead) + 16, () -> heap.setLong(dead, 16, 1));
            mismatch(dead, TagSpace.addressOf(dead) - 8, () -> heap.typeOf(dead));
            assertFalse(heap.isHeapPointer(dead));
            stack.popFrame();
        }
    }

    @Test
    void shouldCatchAMovedObjectsOldAddress() {
        try (GcHeap heap = checked().withTenureAge(2).build()) {
            int node = heap.registerType(new TypeLayout.Fixed("Node", 24, 0));
            ShadowStack stack = heap.shadowStack();
            stack.pushFrame();
            long before = heap.allocate(node);
            heap.setLong(before, 8, 42);
            int slot = stack.addRoot(before);

            heap.collect(false); // copied to a survivor block
            long survivor = stack.root(slot);
            assertNotEquals(TagSpace.addressOf(before), TagSpace.addressOf(survivor), "the object moved");
            assertEquals(42, heap.getLong(survivor, 8));
            mismatch(before, TagSpace.addressOf(before) + 8, () -> heap.getLong(before, 8));
            mismatch(before, TagSpace.addressOf(before) - 8, () -> heap.pin(before));

            heap.collect(false); // promoted to the old generation
            long promoted = stack.root(slot);
            assertNotEquals(TagSpace.addressOf(survivor), TagSpace.addressOf(promoted));
            assertEquals(42, heap.getLong(promoted, 8));
            mismatch(survivor, TagSpace.addressOf(survivor) + 16, () -> heap.getLong(survivor, 16));

            stack.setRoot(slot, 0);
            heap.collect(true); // swept
            mismatch(promoted, TagSpace.addressOf(promoted) + 8, () -> heap.getLong(promoted, 8));
            stack.popFrame();
        }
    }

    @Test
    void shouldCatchAnOverflowIntoTheNeighbour() {
        try (GcHeap heap = checked().build()) {
            int node = heap.registerType(new TypeLayout.Fixed("Node", 24, 0));
            ShadowStack stack = heap.shadowStack();
            stack.pushFrame();
            long first = heap.allocate(node);
            long second = heap.allocate(node);
            stack.addRoot(first);
            stack.addRoot(second);
            // 8 header + 24 payload bytes: two whole granules, so the next object's header follows the payload.
            assertEquals(TagSpace.addressOf(first) + 32, TagSpace.addressOf(second));
            heap.setLong(second, 8, 7);
            TagMismatchException header = mismatch(first, TagSpace.addressOf(first) + 24,
                    () -> heap.getLong(first, 24));
            assertEquals(TagSpace.tagOf(second), header.memoryTag(), "the neighbour's tag");
            mismatch(first, TagSpace.addressOf(second) + 8, () -> heap.setLong(first, 40, -1));
            assertEquals(7, heap.getLong(second, 8), "the refused store wrote nothing");
            mismatch(TagSpace.addressOf(first), TagSpace.addressOf(first) + 8,
                    () -> heap.getLong(TagSpace.addressOf(first), 8));
            stack.popFrame();
        }
    }

    @Test
    void shouldCatchAnAddressThatCompactionMoved() {
        try (GcHeap heap = checked().withOldGenerationLimitBytes(32 << 20).withTenureAge(1).withCompaction(true)
                .build()) {
            int item = heap.registerType(new TypeLayout.Fixed("Item", 24));
            int refs = heap.registerType(new TypeLayout.ReferenceArray("Items"));
            int count = 20_000;
            ShadowStack stack = heap.shadowStack();
            stack.pushFrame();
            int table = stack.addRoot(heap.allocateArray(refs, count));
            for (int i = 0; i < count; i++) {
                long object = heap.allocate(item);
                heap.setLong(object, 8, i);
                heap.setReference(stack.root(table), 8L * i, object);
            }
            heap.collect(false); // every item old now
            List<Long> before = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                if (i % 16 != 0) {
                    heap.setReference(stack.root(table), 8L * i, 0);
                } else {
                    before.add(heap.getReference(stack.root(table), 8L * i));
                }
            }
            heap.collect(true); // sweeps, then compacts the sparse blocks
            int moved = 0;
            for (int k = 0; k < before.size(); k++) {
                long old = before.get(k);
                long now = heap.getReference(stack.root(table), 8L * 16 * k);
                assertEquals(16L * k, heap.getLong(now, 8));
                if (TagSpace.addressOf(now) != TagSpace.addressOf(old)) {
                    moved++;
                    mismatch(old, TagSpace.addressOf(old) + 8, () -> heap.getLong(old, 8));
                }
            }
            assertTrue(moved > before.size() / 2, "compaction moved " + moved + " of " + before.size());
            stack.popFrame();
        }
    }

    @Test
    void shouldTagLargeObjectsAndRefuseAFreedOne() {
        try (GcHeap heap = checked().build()) {
            int bytes = heap.registerType(new TypeLayout.PrimitiveArray("Bytes", 1));
            long large = heap.allocateArray(bytes, 8192);
            assertNotEquals(0, TagSpace.tagOf(large));
            heap.setByte(large, 8191, (byte) 3);
            assertEquals(3, heap.getByte(large, 8191));
            mismatch(TagSpace.addressOf(large), TagSpace.addressOf(large),
                    () -> heap.getByte(TagSpace.addressOf(large), 0));
            heap.collect(true);
            // Its pages went back with its tag space; its range is remembered with a retired tag.
            TagMismatchException stale = mismatch(large, TagSpace.addressOf(large) + 100,
                    () -> heap.getByte(large, 100));
            assertTrue(stale.getMessage().startsWith("load(pointer=0x" + Long.toHexString(large + 100)),
                    stale.getMessage());
            mismatch(large, TagSpace.addressOf(large) + 8, () -> heap.setLong(large, 8, 1));
            mismatch(large, TagSpace.addressOf(large) - 8, () -> heap.typeOf(large));
            assertFalse(heap.isHeapPointer(large));
            long again = heap.allocateArray(bytes, 8192);
            heap.setByte(again, 100, (byte) 4);
            assertEquals(4, heap.getByte(again, 100), "a new large object's own tags decide, even on the old range");
        }
    }

    @Test
    void shouldReportAsynchronousMismatchesLaterForSmallAndLargeObjects() {
        MemoryTagging async = MemoryTagging.of(TaggingPolicy.SOFTWARE, TagCheckMode.ASYNC);
        try (GcHeap heap = checked().withObjectTags(GcObjectTagging.software(async)).build()) {
            heap.throwPendingMismatch(); // none yet: returns
            int node = heap.registerType(new TypeLayout.Fixed("Node", 24, 0));
            int bytes = heap.registerType(new TypeLayout.PrimitiveArray("Bytes", 1));
            ShadowStack stack = heap.shadowStack();
            stack.pushFrame();
            long first = heap.allocate(node);
            long second = heap.allocate(node);
            stack.addRoot(first);
            stack.addRoot(second);
            heap.setLong(second, 8, 7);
            // An overflow into the neighbour: the access goes on (the heap's own payload check refuses it), and
            // the mismatch waits.
            assertThrows(IndexOutOfBoundsException.class, () -> heap.getLong(first, 32));
            mismatch(first, TagSpace.addressOf(second), heap::throwPendingMismatch);
            heap.throwPendingMismatch(); // reported once

            long large = heap.allocateArray(bytes, 8192);
            heap.collect(true); // dies: its pages go back
            assertThrows(IllegalArgumentException.class, () -> heap.getByte(large, 100), "no object: refused");
            mismatch(large, TagSpace.addressOf(large) + 100, heap::throwPendingMismatch);
            heap.throwPendingMismatch();
            stack.popFrame();
        }
    }

    @Test
    void shouldRefuseTagZeroInTheMask() {
        MemoryTagging withZero = new MemoryTagging(TaggingPolicy.SOFTWARE, TagCheckMode.SYNC, 0xFFFF);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GcObjectTagging.software(withZero));
        assertTrue(e.getMessage().contains("includeMask=0xffff"), e.getMessage());
        IllegalArgumentException threshold = assertThrows(IllegalArgumentException.class,
                () -> checked().withLargeObjectThresholdBytes(4104).build());
        assertTrue(threshold.getMessage().contains("largeObjectThresholdBytes=4104"), threshold.getMessage());
    }
}
