package dev.pagealloc.heap.gc;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Iterator;

/**
 * The collections of a {@link GcHeap}, run under its lock.
 *
 * <p>Minor: roots (shadow stacks, handles, globals, pinned nursery objects, slots on dirty cards,
 * logged large objects) are evacuated; each evacuated object is queued and its slots evacuated in
 * turn, until the queue is empty (Cheney's breadth-first copy, with an explicit queue because copies go
 * to two places). An object goes to a survivor block while its age is below the tenure age, else to
 * the old generation; with no room in either it is kept in place (its block retained), as is a pinned
 * object. The old header word of a copied object becomes the forwarding word; its payload is untouched.
 *
 * <p>Major (after a minor): mark from the roots and pinned objects with an explicit stack, through all
 * spaces, then sweep the old generation and the large objects.
 */
final class Collector {

    private static final MemorySegment ALL = AddressSpace.ALL;
    private static final ValueLayout.OfLong WORD = AddressSpace.WORD;
    /** Objects up to this size are copied a word at a time. */
    private static final long SMALL_COPY_BYTES = 128;

    private final GcHeap heap;
    private final Compactor compactor;
    private long[] queue = new long[1024];
    private int queued;
    private long[] kept = new long[64];
    private int keptCount;
    private long survivedBytes;
    private long promotedBytes;
    /** Whether the last minor collection kept an object in place for want of old-generation room. */
    boolean promotionFailed;

    Collector(GcHeap heap) {
        this.heap = heap;
        this.compactor = new Compactor(heap);
    }

    // ---------------------------------------------------------------- minor

    void minor() {
        long start = System.nanoTime();
        CollectionEvent event = new CollectionEvent();
        event.begin();
        Nursery nursery = heap.nursery;
        long usedBefore = nursery.usedBytes();
        nursery.beginCollection();
        queued = 0;
        keptCount = 0;
        promotionFailed = false;
        survivedBytes = 0;
        promotedBytes = 0;

        for (ShadowStack stack : heap.stacks) {
            for (int i = 0; i < stack.top; i++) {
                stack.slots[i] = evacuate(stack.slots[i]);
            }
        }
        for (Handle handle : heap.roots.handles) {
            handle.object = evacuate(handle.object);
        }
        for (int i = 0; i < heap.roots.globalCount; i++) {
            heap.roots.globals[i] = evacuate(heap.roots.globals[i]);
        }
        for (long object : heap.roots.pinned) {
            evacuate(object);
        }
        scanDirtyCards();
        scanLoggedLarge();
        while (queued > 0) {
            scan(queue[--queued]);
        }

        for (int k = 0; k < keptCount; k++) {
            long object = kept[k];
            heap.setWord(object - Header.BYTES, heap.header(object) & ~Header.MARK);
        }
        if (heap.tags != null) {
            retagFromSpace();
        }
        nursery.endCollection(kept, keptCount);
        long reclaimed = heap.stats.nurseryObjectBytes - survivedBytes;
        heap.stats.nurseryObjectBytes = survivedBytes - promotedBytes;
        heap.stats.minorCollections++;
        heap.stats.reclaimedBytes += reclaimed;
        long pause = System.nanoTime() - start;
        heap.stats.pause(pause);
        event.end();
        if (event.shouldCommit()) {
            event.kind = "minor";
            event.nurseryUsedBytesBefore = usedBefore;
            event.survivedBytes = survivedBytes;
            event.promotedBytes = promotedBytes;
            event.reclaimedBytes = reclaimed;
            event.keptInPlace = keptCount;
            event.commit();
        }
    }

    /** {@return the address {@code value} has after this collection}; copies or keeps it if in from-space */
    private long evacuate(long value) {
        Nursery nursery = heap.nursery;
        long offset = value - nursery.base;
        if (offset < Header.BYTES || offset >= nursery.bytes || !nursery.isFromSpaceAt(offset)) {
            return value;
        }
        // Every mutator is parked and nothing is decommitted during the copy: the nursery and the old blocks
        // committed for it are read and written through the constant segment (see AddressSpace).
        long from = value - Header.BYTES;
        long header = ALL.get(WORD, from);
        if (Header.isForwarded(header)) {
            return Header.forwardee(header);
        }
        if ((header & Header.MARK) != 0) {
            return value;
        }
        if ((header & Header.PINNED) != 0) {
            return keep(value, header);
        }
        long objectBytes = heap.objectBytes(Header.payloadBytes(header));
        int age = Header.age(header) + 1;
        long destination = age < heap.tenureAge ? nursery.allocateSurvivor(objectBytes) : -1;
        boolean promoted = destination < 0;
        if (promoted) {
            destination = heap.old.allocate(objectBytes);
            if (destination < 0) {
                promotionFailed = true;
                return keep(value, header);
            }
            promotedBytes += objectBytes;
        }
        // The header with its new age, then the payload: one bulk copy, or words for small objects (where
        // the bulk copy's fixed cost is most of the work).
        ALL.set(WORD, destination, Header.withAge(header, age));
        if (objectBytes <= SMALL_COPY_BYTES) {
            for (long i = Header.BYTES; i < objectBytes; i += 8) {
                ALL.set(WORD, destination + i, ALL.get(WORD, from + i));
            }
        } else {
            MemorySegment.copy(ALL, from + Header.BYTES, ALL, destination + Header.BYTES,
                    objectBytes - Header.BYTES);
        }
        long copy = destination + Header.BYTES;
        if (!promoted) {
            nursery.markStart(copy);
        }
        if (heap.tags != null) {
            heap.tags.tagNew(destination, objectBytes);
        }
        survivedBytes += objectBytes;
        ALL.set(WORD, from, Header.forwardingWord(copy));
        enqueue(copy);
        return copy;
    }

    /**
     * A checked heap's from-space objects that did not stay (dead ones, and the old copies of moved ones) get
     * new tags before their blocks are freed: every pointer to them stops working.
     */
    private void retagFromSpace() {
        java.util.Set<Long> stayed = new java.util.HashSet<>();
        for (int k = 0; k < keptCount; k++) {
            stayed.add(kept[k]);
        }
        heap.nursery.forEachFromSpaceObject(object -> {
            if (stayed.contains(object)) {
                return;
            }
            long header = heap.nursery.getLong(object - Header.BYTES);
            // A moved object's header is its forwarding word; the copy's header has the size.
            long sizeHeader = Header.isForwarded(header) ? heap.header(Header.forwardee(header)) : header;
            heap.tags.retag(object - Header.BYTES, heap.objectBytes(Header.payloadBytes(sizeHeader)));
        });
    }

    private long keep(long value, long header) {
        heap.nursery.setLong(value - Header.BYTES, header | Header.MARK);
        if (keptCount == kept.length) {
            kept = Arrays.copyOf(kept, keptCount * 2);
        }
        kept[keptCount++] = value;
        survivedBytes += heap.objectBytes(Header.payloadBytes(header));
        enqueue(value);
        return value;
    }

    private void enqueue(long object) {
        if (queued == queue.length) {
            queue = Arrays.copyOf(queue, queued * 2);
        }
        queue[queued++] = object;
    }

    /** Evacuates the targets of {@code object}'s slots and remembers those still in the nursery. */
    private void scan(long object) {
        // Nursery, committed old block or live large object: all mapped while the collection runs.
        scanRange(object, ALL.get(WORD, object - Header.BYTES), Long.MIN_VALUE, Long.MAX_VALUE);
    }

    /** Same as {@link #scan(long)} for the slots whose address is within {@code [from, to)}. */
    private void scanRange(long object, long header, long from, long to) {
        TypeInfo type = heap.typeTable[Header.typeId(header)];
        boolean young = heap.nursery.contains(object);
        if (type.kind == TypeInfo.FIXED) {
            for (long slotOffset : type.referenceOffsets) {
                long slot = object + slotOffset;
                if (slot >= from && slot < to) {
                    update(object, slot, young);
                }
            }
        } else if (type.kind == TypeInfo.REFERENCE_ARRAY) {
            long end = Math.min(to, object + Header.payloadBytes(header));
            for (long slot = Math.max(from, object); slot < end; slot += 8) {
                update(object, slot, young);
            }
        }
    }

    private void update(long object, long slot, boolean youngHolder) {
        long value = ALL.get(WORD, slot);
        if (value == 0 || !heap.nursery.contains(value)) {
            return;
        }
        long moved = evacuate(value);
        if (moved != value) {
            ALL.set(WORD, slot, moved);
        }
        if (!youngHolder && heap.nursery.contains(moved)) {
            heap.locked.remember(object, slot);
        }
    }

    private void scanDirtyCards() {
        OldGeneration old = heap.old;
        long cards = old.cardCount();
        // Eight cards per read: the walk's cost follows the dirty cards more than the old generation's size.
        for (long first = 0; first < cards; first += 8) {
            if (!old.anyCardDirty(first, cards)) {
                continue;
            }
            for (long card = first; card < Math.min(cards, first + 8); card++) {
                if (old.takeCard(card)) {
                    scanCard(old, card);
                }
            }
        }
    }

    private void scanCard(OldGeneration old, long card) {
        long cardStart = old.base + (card << OldGeneration.CARD_SHIFT);
        long cardEnd = cardStart + OldGeneration.CARD_BYTES;
        long cellBytes = old.cellClassAt(cardStart);
        long blockBase = old.base + (cardStart - old.base) / old.blockBytes * old.blockBytes;
        long cell = blockBase + (cardStart - blockBase) / cellBytes * cellBytes;
        for (; cell < cardEnd && cell + cellBytes <= blockBase + old.blockBytes; cell += cellBytes) {
            long header = ALL.get(WORD, cell);
            if (header != 0) {
                scanRange(cell + Header.BYTES, header, cardStart, cardEnd);
            }
        }
    }

    private void scanLoggedLarge() {
        long[] logged = heap.loggedLarge.stream().mapToLong(Long::longValue).toArray();
        heap.loggedLarge.clear();
        for (long object : logged) {
            long header = heap.header(object) & ~Header.LOGGED;
            heap.setWord(object - Header.BYTES, header);
            scanRange(object, header, Long.MIN_VALUE, Long.MAX_VALUE);
        }
    }

    // ---------------------------------------------------------------- major

    /**
     * Runs a major collection.
     *
     * @param keepSpares whether the sweep keeps empty old blocks committed as spares ({@link OldGeneration#sweep})
     */
    void major(boolean keepSpares) {
        long start = System.nanoTime();
        CollectionEvent event = new CollectionEvent();
        event.begin();
        long[] stack = new long[1024];
        int depth = 0;
        long[] youngMarked = new long[64];
        int youngCount = 0;
        // Roots, then the transitive closure, with an explicit stack: no recursion however deep the graph.
        long[] roots = rootValues();
        for (long root : roots) {
            if (root != 0 && mark(root)) {
                if (depth == stack.length) {
                    stack = Arrays.copyOf(stack, depth * 2);
                }
                stack[depth++] = root;
            }
        }
        while (depth > 0) {
            long object = stack[--depth];
            if (heap.nursery.contains(object)) {
                if (youngCount == youngMarked.length) {
                    youngMarked = Arrays.copyOf(youngMarked, youngCount * 2);
                }
                youngMarked[youngCount++] = object;
            }
            MemorySegment memory = space(object);
            long offset = located;
            long header = memory.get(ValueLayout.JAVA_LONG, offset - Header.BYTES);
            TypeInfo type = heap.typeTable[Header.typeId(header)];
            if (type.kind == TypeInfo.PRIMITIVE_ARRAY) {
                continue;
            }
            long count = type.kind == TypeInfo.FIXED ? type.referenceOffsets.length : Header.payloadBytes(header) / 8;
            for (long i = 0; i < count; i++) {
                long slotOffset = type.kind == TypeInfo.FIXED ? type.referenceOffsets[(int) i] : i * 8;
                long value = memory.get(ValueLayout.JAVA_LONG, offset + slotOffset);
                if (value != 0 && mark(value)) {
                    if (depth == stack.length) {
                        stack = Arrays.copyOf(stack, depth * 2);
                    }
                    stack[depth++] = value;
                }
            }
        }
        long compacted = heap.compaction ? compactor.compact(youngMarked, youngCount) : 0;
        heap.stats.compactedBytes += compacted;
        for (int i = 0; i < youngCount; i++) {
            long object = youngMarked[i];
            heap.setWord(object - Header.BYTES, heap.header(object) & ~Header.MARK);
        }
        long reclaimed = heap.old.sweep(keepSpares) + heap.large.sweep();
        for (Iterator<Long> it = heap.loggedLarge.iterator(); it.hasNext();) {
            if (!heap.large.isObjectStart(it.next())) {
                it.remove();
            }
        }
        heap.stats.majorCollections++;
        heap.stats.reclaimedBytes += reclaimed;
        heap.stats.pause(System.nanoTime() - start);
        event.end();
        if (event.shouldCommit()) {
            event.kind = "major";
            event.compactedBytes = compacted;
            event.reclaimedBytes = reclaimed;
            event.commit();
        }
    }

    /** Sets the mark bit; {@return whether it was clear} */
    private boolean mark(long object) {
        MemorySegment memory = space(object);
        long at = located - Header.BYTES;
        long header = memory.get(ValueLayout.JAVA_LONG, at);
        if ((header & Header.MARK) != 0) {
            return false;
        }
        memory.set(ValueLayout.JAVA_LONG, at, header | Header.MARK);
        return true;
    }

    /** The payload offset {@link #space(long)} found. */
    private long located;

    /**
     * {@return the segment that holds {@code object}}, its payload's offset in it left in {@link #located}:
     * one lookup per object instead of one per word
     */
    private MemorySegment space(long object) {
        Nursery nursery = heap.nursery;
        if (nursery.contains(object)) {
            located = object - nursery.base;
            return nursery.memory;
        }
        if (heap.old.contains(object)) {
            located = heap.old.offsetInBlock(object);
            return heap.old.blockSegment(object);
        }
        located = Header.BYTES;
        return heap.large.memoryOf(object);
    }

    /** {@return every root's object: shadow stacks, handles, globals, pinned objects} */
    long[] rootValues() {
        long[] values = new long[64];
        int count = 0;
        for (ShadowStack stack : heap.stacks) {
            for (int i = 0; i < stack.top; i++) {
                values = put(values, count++, stack.slots[i]);
            }
        }
        for (Handle handle : heap.roots.handles) {
            values = put(values, count++, handle.object);
        }
        for (int i = 0; i < heap.roots.globalCount; i++) {
            values = put(values, count++, heap.roots.globals[i]);
        }
        for (long object : heap.roots.pinned) {
            values = put(values, count++, object);
        }
        return Arrays.copyOf(values, count);
    }

    private static long[] put(long[] values, int index, long value) {
        long[] result = index == values.length ? Arrays.copyOf(values, index * 2) : values;
        result[index] = value;
        return result;
    }
}
