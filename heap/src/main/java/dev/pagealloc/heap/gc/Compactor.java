package dev.pagealloc.heap.gc;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Compaction of the old generation, in a major collection between the mark and the sweep (with
 * {@link GcHeapBuilder#withCompaction(boolean)}): the marked objects of sparse blocks (less than half their
 * cells live, no pinned object) are copied into cells of other blocks, every reference to them (roots, and
 * the slots of every marked object in every space) is updated through the forwarding word left in the old
 * cell, and the old cells are freed, so the sweep finds those blocks empty and decommits them. When the
 * old generation has no room for a copy, the objects not yet copied stay where they are (their block then
 * stays too). Pinned objects never move: a block that holds one is not evacuated. Runs under the heap's
 * lock, with every mutator parked.
 */
final class Compactor {

    private final GcHeap heap;
    private long[] moved = new long[256];
    private int movedCount;

    Compactor(GcHeap heap) {
        this.heap = heap;
    }

    /**
     * Compacts; {@code youngMarked} holds the {@code youngCount} nursery objects the mark reached (still
     * marked), whose slots may refer to old objects that move.
     *
     * @return the bytes of the objects moved (headers and payloads)
     */
    long compact(long[] youngMarked, int youngCount) {
        OldGeneration old = heap.old;
        boolean[] evacuate = old.sparseBlocks();
        if (evacuate == null) {
            return 0;
        }
        old.withdraw(evacuate);
        movedCount = 0;
        long movedBytes = 0;
        copying:
        for (int b = 0; b < evacuate.length; b++) {
            if (!evacuate[b]) {
                continue;
            }
            MemorySegment block = old.blockMemory(b);
            long cellBytes = old.cellClassOfBlock(b);
            for (long at = 0; at + cellBytes <= old.blockBytes; at += cellBytes) {
                long header = block.get(ValueLayout.JAVA_LONG, at);
                if ((header & Header.MARK) == 0) {
                    continue;
                }
                long objectBytes = heap.objectBytes(Header.payloadBytes(header));
                long destination = old.allocate(objectBytes);
                if (destination < 0) {
                    break copying;
                }
                MemorySegment to = old.blockSegment(destination);
                MemorySegment.copy(block, at, to, old.offsetInBlock(destination), objectBytes);
                long from = old.base + (long) b * old.blockBytes + at;
                if (heap.tags != null) {
                    // The copy gets a fresh tag and the old copy a new one: its pointers stop working.
                    heap.tags.tagNew(destination, objectBytes);
                    heap.tags.retag(from, objectBytes);
                }
                block.set(ValueLayout.JAVA_LONG, at, Header.forwardingWord(destination + Header.BYTES));
                if (movedCount == moved.length) {
                    moved = java.util.Arrays.copyOf(moved, movedCount * 2);
                }
                moved[movedCount++] = from;
                movedBytes += objectBytes;
            }
        }
        if (movedCount == 0) {
            return 0;
        }
        updateRoots();
        old.forEachMarkedCell(cell -> updateSlots(cell + Header.BYTES));
        for (long object : heap.large.objects()) {
            if ((heap.header(object) & Header.MARK) != 0) {
                updateSlots(object);
            }
        }
        for (int i = 0; i < youngCount; i++) {
            updateSlots(youngMarked[i]);
        }
        for (int i = 0; i < movedCount; i++) {
            old.releaseCell(moved[i]);
        }
        return movedBytes;
    }

    /** {@return where {@code value} is now}: its copy if it moved, else itself */
    private long forward(long value) {
        if (value == 0 || !heap.old.contains(value)) {
            return value;
        }
        long header = heap.old.getLong(value - Header.BYTES);
        return Header.isForwarded(header) ? Header.forwardee(header) : value;
    }

    private void updateRoots() {
        for (ShadowStack stack : heap.stacks) {
            for (int i = 0; i < stack.top; i++) {
                stack.slots[i] = forward(stack.slots[i]);
            }
        }
        for (Handle handle : heap.roots.handles) {
            handle.object = forward(handle.object);
        }
        for (int i = 0; i < heap.roots.globalCount; i++) {
            heap.roots.globals[i] = forward(heap.roots.globals[i]);
        }
    }

    /** Points the reference slots of {@code object} at the copies, and remembers old-to-nursery ones. */
    private void updateSlots(long object) {
        long header = heap.header(object);
        TypeInfo type = heap.typeTable[Header.typeId(header)];
        if (type.kind == TypeInfo.PRIMITIVE_ARRAY) {
            return;
        }
        long count = type.kind == TypeInfo.FIXED ? type.referenceOffsets.length : Header.payloadBytes(header) / 8;
        boolean young = heap.nursery.contains(object);
        for (long i = 0; i < count; i++) {
            long slot = object + (type.kind == TypeInfo.FIXED ? type.referenceOffsets[(int) i] : i * 8);
            long value = heap.getWord(slot);
            long now = forward(value);
            if (now != value) {
                heap.setWord(slot, now);
            }
            if (!young && now != 0 && heap.nursery.contains(now)) {
                heap.locked.remember(object, slot);
            }
        }
    }
}
