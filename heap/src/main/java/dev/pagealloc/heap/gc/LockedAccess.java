package dev.pagealloc.heap.gc;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A heap's field accesses under the lock: the paths {@link GcHeap}'s lock-free accessors fall back to (callers
 * not attached, large objects, checked heaps, and every access a fast check refused), with the checks that name
 * the exact error, and the write barrier's slow path. Reads and writes go through each space's segment.
 */
final class LockedAccess {

    private final GcHeap heap;
    private final Nursery nursery;
    private final OldGeneration old;
    private final LargeObjectSpace large;
    private final ReentrantLock lock;
    /** The heap's object tags, or null (see {@link GcHeap#tags}). */
    private final ObjectTags tags;

    /** Made by the heap's constructor once its spaces exist. */
    LockedAccess(GcHeap heap) {
        this.heap = heap;
        this.nursery = heap.nursery;
        this.old = heap.old;
        this.large = heap.large;
        this.lock = heap.lock;
        this.tags = heap.tags;
    }

    /** The locked path of {@link GcHeap#getReference}. */
    long getReference(long object, long byteOffset) {
        lock.lock();
        try {
            object = heap.checked("getReference", object, byteOffset, 8, false);
            checkAccess("getReference", object, byteOffset, 8, true);
            long value = segmentOf(object).get(ValueLayout.JAVA_LONG, offsetOf(object) + byteOffset);
            return tags == null ? value : tags.tagged(value);
        } finally {
            lock.unlock();
        }
    }

    /** The locked path of {@link GcHeap#setReference}. */
    void setReference(long object, long byteOffset, long value) {
        lock.lock();
        try {
            object = heap.checked("setReference", object, byteOffset, 8, true);
            checkAccess("setReference", object, byteOffset, 8, true);
            if (tags != null) {
                value = tags.object(value);
            }
            if (value != 0 && !heap.isObject(value)) {
                throw new IllegalArgumentException("setReference(object=0x" + Long.toHexString(object) + ", byteOffset="
                        + byteOffset + ", value=0x" + Long.toHexString(value)
                        + "): value is not an object of this heap");
            }
            segmentOf(object).set(ValueLayout.JAVA_LONG, offsetOf(object) + byteOffset, value);
            if (nursery.contains(value) && !nursery.contains(object)) {
                remember(object, object + byteOffset);
            }
        } finally {
            lock.unlock();
        }
    }

    /** The locked path of {@link GcHeap#getLong}. */
    long getLong(long object, long byteOffset) {
        lock.lock();
        try {
            object = heap.checked("getLong", object, byteOffset, 8, false);
            checkAccess("getLong", object, byteOffset, 8, false);
            return segmentOf(object).get(ValueLayout.JAVA_LONG, offsetOf(object) + byteOffset);
        } finally {
            lock.unlock();
        }
    }

    /** The locked path of {@link GcHeap#setLong}. */
    void setLong(long object, long byteOffset, long value) {
        lock.lock();
        try {
            object = heap.checked("setLong", object, byteOffset, 8, true);
            checkAccess("setLong", object, byteOffset, 8, false);
            segmentOf(object).set(ValueLayout.JAVA_LONG, offsetOf(object) + byteOffset, value);
        } finally {
            lock.unlock();
        }
    }

    /** The locked path of {@link GcHeap#getInt}. */
    int getInt(long object, long byteOffset) {
        lock.lock();
        try {
            object = heap.checked("getInt", object, byteOffset, 4, false);
            checkAccess("getInt", object, byteOffset, 4, false);
            return segmentOf(object).get(ValueLayout.JAVA_INT, offsetOf(object) + byteOffset);
        } finally {
            lock.unlock();
        }
    }

    /** The locked path of {@link GcHeap#setInt}. */
    void setInt(long object, long byteOffset, int value) {
        lock.lock();
        try {
            object = heap.checked("setInt", object, byteOffset, 4, true);
            checkAccess("setInt", object, byteOffset, 4, false);
            segmentOf(object).set(ValueLayout.JAVA_INT, offsetOf(object) + byteOffset, value);
        } finally {
            lock.unlock();
        }
    }

    /** The locked path of {@link GcHeap#getByte}. */
    byte getByte(long object, long byteOffset) {
        lock.lock();
        try {
            object = heap.checked("getByte", object, byteOffset, 1, false);
            checkAccess("getByte", object, byteOffset, 1, false);
            return segmentOf(object).get(ValueLayout.JAVA_BYTE, offsetOf(object) + byteOffset);
        } finally {
            lock.unlock();
        }
    }

    /** The locked path of {@link GcHeap#setByte}. */
    void setByte(long object, long byteOffset, byte value) {
        lock.lock();
        try {
            object = heap.checked("setByte", object, byteOffset, 1, true);
            checkAccess("setByte", object, byteOffset, 1, false);
            segmentOf(object).set(ValueLayout.JAVA_BYTE, offsetOf(object) + byteOffset, value);
        } finally {
            lock.unlock();
        }
    }

    /** The locked path of {@link GcHeap#getDouble}. */
    double getDouble(long object, long byteOffset) {
        lock.lock();
        try {
            object = heap.checked("getDouble", object, byteOffset, 8, false);
            checkAccess("getDouble", object, byteOffset, 8, false);
            return segmentOf(object).get(ValueLayout.JAVA_DOUBLE, offsetOf(object) + byteOffset);
        } finally {
            lock.unlock();
        }
    }

    /** The locked path of {@link GcHeap#setDouble}. */
    void setDouble(long object, long byteOffset, double value) {
        lock.lock();
        try {
            object = heap.checked("setDouble", object, byteOffset, 8, true);
            checkAccess("setDouble", object, byteOffset, 8, false);
            segmentOf(object).set(ValueLayout.JAVA_DOUBLE, offsetOf(object) + byteOffset, value);
        } finally {
            lock.unlock();
        }
    }

    /** The locked path of {@link GcHeap#arrayLength}. */
    long arrayLength(long array) {
        lock.lock();
        try {
            heap.checkAlive("arrayLength");
            array = heap.plain("arrayLength", array);
            heap.checkObject("arrayLength", array);
            long header = heap.header(array);
            TypeInfo type = heap.registry.types.get(Header.typeId(header));
            if (type.kind == TypeInfo.FIXED) {
                throw new IllegalArgumentException("arrayLength(object=0x" + Long.toHexString(array) + "): type "
                        + type.layout.name() + " is not an array type");
            }
            return Header.payloadBytes(header) / type.elementBytes;
        } finally {
            lock.unlock();
        }
    }

    /** The locked path of {@link GcHeap#typeOf}. */
    int typeOf(long object) {
        lock.lock();
        try {
            heap.checkAlive("typeOf");
            object = heap.plain("typeOf", object);
            heap.checkObject("typeOf", object);
            return Header.typeId(heap.header(object));
        } finally {
            lock.unlock();
        }
    }

    /** Checks an access and returns the object's type. */
    TypeInfo checkAccess(String operation, long object, long byteOffset, int width, boolean reference) {
        heap.checkAlive(operation);
        heap.checkObject(operation, object);
        long header = heap.header(object);
        long payloadBytes = Header.payloadBytes(header);
        TypeInfo type = heap.registry.types.get(Header.typeId(header));
        if (byteOffset < 0 || byteOffset > payloadBytes - width || byteOffset % width != 0) {
            throw new IndexOutOfBoundsException(operation + "(object=0x" + Long.toHexString(object) + ", byteOffset="
                    + byteOffset + "): a " + width + "-byte access must be aligned to " + width
                    + " and within the payload of " + payloadBytes + " bytes of type " + type.layout.name());
        }
        boolean ok = reference ? type.isReferenceSlot(byteOffset)
                : type.kind == TypeInfo.PRIMITIVE_ARRAY
                        || (type.kind == TypeInfo.FIXED && !type.overlapsReference(byteOffset, width));
        if (!ok) {
            throw new IllegalArgumentException(operation + "(object=0x" + Long.toHexString(object) + ", byteOffset="
                    + byteOffset + "): " + (reference ? "not a reference slot" : "a plain access touching a"
                    + " reference slot") + " of type " + type.layout.name() + " (" + type.kindName() + ")");
        }
        return type;
    }

    /** The write barrier's slow path: {@code holder} (old or large) now refers into the nursery. */
    void remember(long holder, long slot) {
        if (old.contains(holder)) {
            old.dirtyCard(slot);
        } else {
            long header = heap.header(holder);
            if ((header & Header.LOGGED) == 0) {
                heap.setWord(holder - Header.BYTES, header | Header.LOGGED);
                heap.loggedLarge.add(holder);
            }
        }
    }

    /** {@return the segment that holds {@code object}: the nursery's, its old block's, or its large region's} */
    MemorySegment segmentOf(long object) {
        if (nursery.contains(object)) {
            return nursery.memory;
        }
        if (old.contains(object)) {
            return old.blockSegment(object);
        }
        return large.memoryOf(object);
    }

    /** {@return the offset of {@code object} in {@link #segmentOf its segment}, in bytes} */
    long offsetOf(long object) {
        if (nursery.contains(object)) {
            return object - nursery.base;
        }
        if (old.contains(object)) {
            return (object - old.base) % old.blockBytes;
        }
        return Header.BYTES;
    }
}
