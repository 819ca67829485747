package dev.pagealloc.heap.gc;

/**
 * A heap's locked allocation paths: everything {@link GcHeap}'s lock-free {@code allocate} calls leave to
 * the lock (callers not attached, full buffers, a pending safepoint, large objects, arrays, bad arguments),
 * the checks that name the error, buffer refills (collecting when the nursery has no free block) and the
 * accounting of retired buffers. Every method but {@link #unretiredBufferBytes} runs under the heap's lock.
 */
final class SlowAllocation {

    private final GcHeap heap;
    /** A detached caller's buffer: cursor, limit, and the collection epoch it belongs to. */
    private final ThreadLocal<long[]> buffers = ThreadLocal.withInitial(() -> new long[3]);
    /** Allocations since the last collection, for {@link GcHeapBuilder}'s collect-every setting. */
    private int allocationsSinceCollection;

    SlowAllocation(GcHeap heap) {
        this.heap = heap;
    }

    /** {@link GcHeap#allocate(int, long, long)} when its fast path does not apply; takes the lock. */
    long allocate(int typeId, long first, long second) {
        heap.lock.lock();
        try {
            heap.checkAlive("allocate");
            TypeInfo type = heap.type("allocate", typeId);
            if (type.firstReference < 0) {
                throw new IllegalArgumentException("allocate(typeId=" + typeId + ", first, second): type "
                        + type.layout.name() + " is a " + type.kindName() + " type with "
                        + type.referenceOffsets.length + " reference slots; it needs a fixed type with two or more");
            }
            // Handles check the values and keep them (and their new addresses) across a collection; the lock,
            // held from the allocation to the stores, keeps any other collection out.
            try (Handle a = heap.newHandle(first); Handle b = heap.newHandle(second)) {
                long object = heap.allocate(typeId);
                heap.setReference(object, type.firstReference, a.get());
                heap.setReference(object, type.secondReference, b.get());
                return object;
            }
        } finally {
            heap.lock.unlock();
        }
    }

    /** {@link GcHeap#allocate(int)} when its fast path does not apply; takes the lock. */
    long allocate(int typeId) {
        heap.lock.lock();
        try {
            heap.checkAlive("allocate");
            TypeInfo type = heap.type("allocate", typeId);
            if (type.kind != TypeInfo.FIXED) {
                throw new IllegalArgumentException("allocate(typeId=" + typeId + "): type " + type.layout.name()
                        + " is a " + type.kindName() + "; use allocateArray");
            }
            return allocateLocked(typeId, type.fixedPayloadBytes);
        } finally {
            heap.lock.unlock();
        }
    }

    /** {@link GcHeap#allocateArray}; takes the lock. */
    long allocateArray(int typeId, long length) {
        heap.lock.lock();
        try {
            heap.checkAlive("allocateArray");
            TypeInfo type = heap.type("allocateArray", typeId);
            if (type.kind == TypeInfo.FIXED) {
                throw new IllegalArgumentException("allocateArray(typeId=" + typeId + ", length=" + length + "): type "
                        + type.layout.name() + " is not an array type; use allocate");
            }
            if (length < 0 || length > Header.MAX_PAYLOAD_BYTES / type.elementBytes) {
                throw new IllegalArgumentException("allocateArray(typeId=" + typeId + ", length=" + length
                        + "): length must be in [0, " + Header.MAX_PAYLOAD_BYTES / type.elementBytes + "]");
            }
            return allocateLocked(typeId, length * type.elementBytes);
        } finally {
            heap.lock.unlock();
        }
    }

    /** Called by each collection, under the lock: the collect-every count starts again. */
    void collectionStarted() {
        allocationsSinceCollection = 0;
    }

    private long allocateLocked(int typeId, long payloadBytes) {
        long objectBytes = heap.objectBytes(payloadBytes);
        if (heap.pending()) {
            heap.park();
        }
        if (heap.collectEveryAllocations > 0 && ++allocationsSinceCollection >= heap.collectEveryAllocations) {
            heap.collectLocked(false);
        }
        if (objectBytes >= heap.largeObjectThresholdBytes) {
            return allocateLarge(typeId, payloadBytes, objectBytes);
        }
        long headerAddress;
        ShadowStack mutator = heap.mutator();
        if (mutator != null) {
            // An attached thread's buffer lives in its stack; its bytes are counted when it is retired.
            if (mutator.bufferCursor + objectBytes > mutator.bufferLimit) {
                retireBuffer(mutator);
                long[] fresh = new long[3];
                refill(fresh, objectBytes, typeId);
                mutator.bufferCursor = fresh[0];
                mutator.bufferLimit = fresh[1];
                mutator.bufferStart = fresh[0];
            }
            headerAddress = mutator.bufferCursor;
            mutator.bufferCursor += objectBytes;
        } else {
            long[] buffer = buffers.get();
            if (buffer[2] != heap.epoch || buffer[0] + objectBytes > buffer[1]) {
                refill(buffer, objectBytes, typeId);
            }
            headerAddress = buffer[0];
            buffer[0] += objectBytes;
            heap.stats.allocatedBytes += objectBytes;
            heap.stats.nurseryObjectBytes += objectBytes;
        }
        // A checked heap tags the granules before the header is written: if the tag memory cannot be had, the
        // bytes stay unused (no start bit, no header) until the next collection frees their block.
        long pointer = heap.tags == null ? headerAddress + Header.BYTES : heap.tags.tagNew(headerAddress, objectBytes);
        heap.nursery.setLong(headerAddress, Header.of(typeId, payloadBytes));
        GcHeap.zero(headerAddress + Header.BYTES, 0, objectBytes - Header.BYTES);
        heap.nursery.markStart(headerAddress + Header.BYTES);
        return pointer;
    }

    /** Counts the bytes allocated in a mutator's buffer and empties it; under the lock. */
    void retireBuffer(ShadowStack mutator) {
        long used = mutator.bufferCursor - mutator.bufferStart;
        heap.stats.allocatedBytes += used;
        heap.stats.nurseryObjectBytes += used;
        mutator.bufferCursor = 0;
        mutator.bufferLimit = 0;
        mutator.bufferStart = 0;
    }

    /** {@return the bytes allocated in attached mutators' buffers not yet counted}; racy, for statistics */
    long unretiredBufferBytes() {
        long bytes = 0;
        for (ShadowStack stack : heap.stacks) {
            bytes += stack.bufferCursor - stack.bufferStart;
        }
        return bytes;
    }

    private void refill(long[] buffer, long objectBytes, int typeId) {
        Nursery nursery = heap.nursery;
        long block = nursery.takeEdenBlock();
        if (block < 0) {
            heap.collectLocked(false);
            block = nursery.takeEdenBlock();
        }
        if (block < 0) {
            heap.collectLocked(true);
            block = nursery.takeEdenBlock();
        }
        if (block < 0) {
            throw new HeapExhaustedException("allocate(typeId=" + typeId + ", objectBytes=" + objectBytes
                    + "): the nursery has no free block after a full collection (nurseryBytes="
                    + nursery.blocks * nursery.blockBytes + ", objects kept in place hold "
                    + nursery.usedBytes() + " bytes, old generation " + heap.old.usedBytes() + " of "
                    + heap.oldGenerationLimitBytes + " bytes)");
        }
        buffer[0] = block;
        buffer[1] = block + nursery.blockBytes;
        buffer[2] = heap.epoch;
    }

    private long allocateLarge(int typeId, long payloadBytes, long objectBytes) {
        OldGeneration old = heap.old;
        LargeObjectSpace large = heap.large;
        long limit = heap.oldGenerationLimitBytes;
        long needed = LargeObjectSpace.committedBytesFor(objectBytes, heap.allocator.pageBytes());
        if (old.committedBytes() + large.committedBytes() + needed > limit) {
            heap.collectLocked(true);
            if (old.committedBytes() + large.committedBytes() + needed > limit) {
                throw new HeapExhaustedException("allocate(typeId=" + typeId + ", payloadBytes=" + payloadBytes
                        + "): a large object of " + needed + " bytes does not fit after a full collection: old"
                        + " generation blocks " + old.committedBytes() + " + large objects " + large.committedBytes()
                        + " bytes, limit oldGenerationLimitBytes=" + limit);
            }
        }
        long address = large.allocate(objectBytes);
        long pointer = address;
        if (heap.tags != null) {
            try {
                pointer = heap.tags.openLarge(address - Header.BYTES,
                        LargeObjectSpace.committedBytesFor(objectBytes, heap.allocator.pageBytes()), objectBytes);
            } catch (RuntimeException e) {
                large.release(address);
                throw e;
            }
        }
        heap.stats.allocatedBytes += objectBytes;
        large.setLong(address - Header.BYTES, Header.of(typeId, payloadBytes));
        return pointer;
    }
}
