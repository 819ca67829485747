package dev.pagealloc.heap.gc;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A heap's registered types: ids given out and reused, equal layouts deduplicated, and the array the fast
 * paths read ({@link GcHeap#typeTable}) kept in step. Every method runs under the heap's lock; the type table
 * is the one thing read without it.
 */
final class TypeRegistry {

    private final GcHeap heap;
    /** Registered types by id; null at id 0 and at released ids. */
    final List<TypeInfo> types = new ArrayList<>();
    /** Registered layouts' ids, so that an equal layout gets the same id. */
    private final Map<TypeLayout, Integer> typeIds = new HashMap<>();
    /** Released ids, reused before new ones. */
    private final ArrayDeque<Integer> freeTypeIds = new ArrayDeque<>();
    /**
     * The slot handles made for each registered type, by type id and offset: one per slot, so a program that
     * asks again gets the same one; invalidated and dropped when their type is released.
     */
    private final Map<Integer, Map<Long, ReferenceSlot>> slotHandles = new HashMap<>();

    TypeRegistry(GcHeap heap) {
        this.heap = heap;
        types.add(null); // type id 0 names no type
    }

    /** {@link GcHeap#registerType} once the layout is known non-null and the heap open; under the lock. */
    int register(TypeLayout layout) {
        Integer known = typeIds.get(layout);
        if (known != null) {
            return known;
        }
        int id;
        if (!freeTypeIds.isEmpty()) {
            id = freeTypeIds.pop();
        } else if (types.size() <= Header.MAX_TYPE_ID) {
            id = types.size();
            types.add(null);
        } else {
            throw new IllegalStateException("registerType(layout=" + layout + "): all " + Header.MAX_TYPE_ID
                    + " type ids are in use (the limit of the header's 16-bit type field, Header.MAX_TYPE_ID);"
                    + " release types no object uses with releaseType(typeId)");
        }
        TypeInfo type = new TypeInfo(id, layout, heap.largeObjectThresholdBytes);
        types.set(id, type);
        typeIds.put(layout, id);
        publish(id, type);
        return id;
    }

    /** {@link GcHeap#releaseType} once the heap is known open; under the lock. */
    boolean release(int typeId) {
        TypeInfo type = type("releaseType", typeId);
        // The collection retires every buffer, so until the lock is released no thread allocates: the
        // walk below sees every object there is.
        heap.collectLocked(true);
        if (hasObjectOfType(typeId)) {
            return false;
        }
        typeIds.remove(type.layout);
        Map<Long, ReferenceSlot> handles = slotHandles.remove(typeId);
        if (handles != null) {
            handles.values().forEach(ReferenceSlot::invalidate);
        }
        types.set(typeId, null);
        publish(typeId, null);
        freeTypeIds.push(typeId);
        return true;
    }

    /**
     * Sets {@code typeTable[id]}, {@code slotMasks[id]}, {@code bufferHeaders[id]} and {@code pairHeaders[id]},
     * in place while the tables have room (a racing fast path sees the old entry or the new one, whose fields
     * are final), else in copies twice the size: registering n types costs O(n).
     */
    private void publish(int id, TypeInfo type) {
        TypeInfo[] table = heap.typeTable;
        long[] masks = heap.slotMasks;
        long[] headers = heap.bufferHeaders;
        long[] pairs = heap.pairHeaders;
        if (id >= table.length) {
            table = Arrays.copyOf(table, Math.max(id + 1, table.length * 2));
            masks = Arrays.copyOf(masks, table.length);
            headers = Arrays.copyOf(headers, table.length);
            pairs = Arrays.copyOf(pairs, table.length);
        }
        table[id] = type;
        masks[id] = type == null ? 0 : type.fastSlotMask;
        headers[id] = type == null || type.bufferObjectBytes <= 0 ? 0 : type.fixedHeader;
        pairs[id] = type == null || type.pairZeroFrom != 16 ? 0 : headers[id];
        heap.slotMasks = masks;
        heap.bufferHeaders = headers;
        heap.pairHeaders = pairs;
        for (ShadowStack stack : heap.stacks) {
            stack.bufferHeaders = headers;
            stack.pairHeaders = pairs;
        }
        heap.typeTable = table;
    }

    /** {@return whether an object of any space has type {@code typeId}}; under the lock */
    private boolean hasObjectOfType(int typeId) {
        boolean[] found = new boolean[1];
        heap.nursery.forEachFromSpaceObject(object -> found[0] |= Header.typeId(heap.header(object)) == typeId);
        heap.old.forEachCell(cell -> found[0] |= Header.typeId(heap.old.getLong(cell)) == typeId);
        heap.large.forEachObject(object -> found[0] |= Header.typeId(heap.header(object)) == typeId);
        return found[0];
    }

    /** {@link GcHeap#referenceSlot} once the heap is known open; under the lock. */
    ReferenceSlot referenceSlot(int typeId, long byteOffset) {
        TypeInfo type = type("referenceSlot", typeId);
        if (type.kind != TypeInfo.FIXED) {
            throw new IllegalArgumentException("referenceSlot(typeId=" + typeId + ", byteOffset=" + byteOffset
                    + "): type '" + type.layout.name() + "' is a " + type.kindName()
                    + " type; slot handles are for fixed types, whose header implies the slot's kind");
        }
        if (Arrays.binarySearch(type.referenceOffsets, byteOffset) < 0) {
            throw new IllegalArgumentException("referenceSlot(typeId=" + typeId + ", byteOffset=" + byteOffset
                    + "): not a reference slot of type " + type.layout + "; its reference offsets are "
                    + Arrays.toString(type.referenceOffsets));
        }
        return slotHandles.computeIfAbsent(typeId, id -> new HashMap<>()).computeIfAbsent(byteOffset,
                offset -> new ReferenceSlot(heap, typeId, type.fixedPayloadBytes, offset));
    }

    /** {@return the registered type {@code typeId}}, or throws naming {@code operation} and the known ids */
    TypeInfo type(String operation, int typeId) {
        if (typeId <= 0 || typeId >= types.size() || types.get(typeId) == null) {
            throw new IllegalArgumentException(operation + "(typeId=" + typeId
                    + "): unknown type id; registered ids are 1.." + (types.size() - 1)
                    + (freeTypeIds.isEmpty() ? "" : " except the released " + freeTypeIds));
        }
        return types.get(typeId);
    }
}
