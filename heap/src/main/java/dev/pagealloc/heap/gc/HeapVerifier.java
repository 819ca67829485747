package dev.pagealloc.heap.gc;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;

/**
 * Walks every object reachable from the roots and checks it: an object start of one of the heap's
 * spaces, a header with no collection bits left set, a registered type whose size rule the payload
 * follows, references that are 0 or objects of the heap, every old-to-nursery reference on a dirty
 * card and every large-to-nursery one in a logged large object, and the pinned bit where and only
 * where the pinned set says. Runs under the heap's lock.
 */
final class HeapVerifier {

    private final GcHeap heap;

    HeapVerifier(GcHeap heap) {
        this.heap = heap;
    }

    void verify() {
        Set<Long> seen = new HashSet<>();
        ArrayDeque<Long> work = new ArrayDeque<>();
        for (long root : new Collector(heap).rootValues()) {
            if (root != 0) {
                check(root, "a root");
                if (seen.add(root)) {
                    work.push(root);
                }
            }
        }
        for (long object : heap.roots.pinned) {
            if ((heap.header(object) & Header.PINNED) == 0) {
                fail(object, "is in the pinned set but its header has no pinned bit");
            }
        }
        while (!work.isEmpty()) {
            long object = work.pop();
            long header = heap.header(object);
            TypeInfo type = heap.registry.types.get(Header.typeId(header));
            long slots = type.kind == TypeInfo.FIXED ? type.referenceOffsets.length
                    : type.kind == TypeInfo.REFERENCE_ARRAY ? Header.payloadBytes(header) / 8 : 0;
            for (long i = 0; i < slots; i++) {
                long slot = object + (type.kind == TypeInfo.FIXED ? type.referenceOffsets[(int) i] : i * 8);
                long value = heap.getWord(slot);
                if (value == 0) {
                    continue;
                }
                check(value, "referenced from 0x" + Long.toHexString(object) + " at byteOffset=" + (slot - object));
                if (heap.nursery.contains(value)) {
                    if (heap.old.contains(object) && !heap.old.isCardDirty(slot)) {
                        fail(object, "holds nursery object 0x" + Long.toHexString(value) + " at byteOffset="
                                + (slot - object) + " but its card is clean");
                    }
                    if (heap.large.isObjectStart(object)
                            && ((header & Header.LOGGED) == 0 || !heap.loggedLarge.contains(object))) {
                        fail(object, "is a large object holding nursery object 0x" + Long.toHexString(value)
                                + " but is not logged");
                    }
                }
                if (seen.add(value)) {
                    work.push(value);
                }
            }
        }
    }

    private void check(long object, String where) {
        if (!heap.isObject(object)) {
            fail(object, "(" + where + ") is not an object of this heap");
        }
        long header = heap.header(object);
        if ((header & (Header.MARK | Header.FORWARDED)) != 0) {
            fail(object, "(" + where + ") has a mark or forwarded bit left: header=0x" + Long.toHexString(header));
        }
        int typeId = Header.typeId(header);
        if (typeId <= 0 || typeId >= heap.registry.types.size() || heap.registry.types.get(typeId) == null) {
            fail(object, "(" + where + ") has unknown (or released) type id " + typeId);
        }
        TypeInfo type = heap.registry.types.get(typeId);
        long payloadBytes = Header.payloadBytes(header);
        boolean sizeOk = type.kind == TypeInfo.FIXED ? payloadBytes == type.fixedPayloadBytes
                : payloadBytes % type.elementBytes == 0;
        if (!sizeOk) {
            fail(object, "(" + where + ") has payloadBytes=" + payloadBytes + " that type " + type.layout.name()
                    + " cannot have");
        }
        long objectBytes = heap.objectBytes(payloadBytes);
        if (heap.old.contains(object) && heap.old.cellBytesOf(object - Header.BYTES) < objectBytes) {
            fail(object, "(" + where + ") is larger than its cell");
        }
        String tagProblem = heap.tags == null ? null : heap.tags.inconsistency(object - Header.BYTES, objectBytes);
        if (tagProblem != null) {
            fail(object, "(" + where + ") " + tagProblem);
        }
        if (((header & Header.PINNED) != 0) != heap.roots.pinned.contains(object)) {
            fail(object, "(" + where + ") has a pinned bit that disagrees with the pinned set");
        }
    }

    private static void fail(long object, String what) {
        throw new IllegalStateException("verify(): object 0x" + Long.toHexString(object) + " " + what);
    }
}
