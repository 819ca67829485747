package dev.pagealloc.heap.gc;

/**
 * A reference slot of one fixed type, resolved once, as a {@link java.lang.invoke.VarHandle} is: made by
 * {@link GcHeap#referenceSlot(int, long)}, which checks that the type is a registered {@link TypeLayout.Fixed}
 * type and the offset one of its reference slots, and used by {@link ShadowStack#getReference(ReferenceSlot, long)}
 * and {@link ShadowStack#setReference(ReferenceSlot, long, long)}. Those calls make the checks the
 * {@code (object, byteOffset)} forms make (an object of the heap; a reference slot of its type, within its payload;
 * a stored value that is 0 or an object of the heap), but the offset's checks were made here once: per call, an
 * object's header must carry this slot's type id and that type's payload size, which, the type being fixed, implies
 * the slot's kind and bounds.
 *
 * <p><b>Released types.</b> {@link GcHeap#releaseType(int)} frees a type id for another layout. When it succeeds,
 * every handle of the released type is invalidated, under the heap's lock and before {@link GcHeap#registerType}
 * can give the id out again: such a handle then matches no header, and every call with it throws
 * {@link IllegalArgumentException} naming the release. {@link GcHeap#referenceSlot(int, long)} on the reused id
 * gives a new handle for the new layout.
 *
 * <p>Immutable to its users and thread-safe; belongs to the heap that made it (another heap's stack refuses it).
 */
public final class ReferenceSlot {

    /** {@link #headerKey} of an invalidated handle: {@code header >>> 8} is below 2^56, never -1. */
    private static final long RELEASED = -1;

    final GcHeap heap;
    private final int typeId;
    final long byteOffset;
    /**
     * The header of an object of this type shifted right by {@link Header#TYPE_SHIFT}: its type id and exact payload
     * size, with the mark, pinned, forwarded, logged and age bits shifted out (no object is forwarded while a mutator
     * runs); {@link #RELEASED} once the type is released. Plain: written under the heap's lock by a successful
     * release, before the lock lets {@link GcHeap#registerType} give the id out again. An object of the id's next type
     * is allocated after that registration, in a buffer taken under the lock after the release's collection retired
     * every buffer; a thread that allocates it or takes the lock since has the write ordered before its calls, and
     * one that gets the object's address only from another thread's stores into the heap sees the write as it sees
     * that object's header, which was written without the lock too.
     */
    long headerKey;

    ReferenceSlot(GcHeap heap, int typeId, long payloadBytes, long byteOffset) {
        this.heap = heap;
        this.typeId = typeId;
        this.byteOffset = byteOffset;
        this.headerKey = Header.of(typeId, payloadBytes) >>> Header.TYPE_SHIFT;
    }

    /** {@return the type id this handle was made for} */
    public int typeId() {
        return typeId;
    }

    /** {@return the slot's offset, in bytes from an object's address} */
    public long byteOffset() {
        return byteOffset;
    }

    /** {@return whether the handle is usable: false once its type was released}; read under the heap's lock */
    public boolean isValid() {
        heap.lock.lock();
        try {
            return headerKey != RELEASED;
        } finally {
            heap.lock.unlock();
        }
    }

    /** {@return whether {@code header} is the header of an object of this handle's (live) type} */
    boolean matches(long header) {
        return header >>> Header.TYPE_SHIFT == headerKey;
    }

    /** Invalidates the handle: its type is released. Under the heap's lock. */
    void invalidate() {
        headerKey = RELEASED;
    }

    /**
     * The checks of a call with this handle that the locked path makes before {@link LockedAccess}'s own: the
     * handle belongs to {@code callerHeap} and is valid, and {@code object} is an object of the handle's type. Under
     * the heap's lock, the heap open.
     *
     * @throws IllegalArgumentException naming {@code operation} and what failed
     * @throws dev.pagealloc.api.TagMismatchException in a checked heap, if {@code object}'s tag does not match
     */
    void checkLocked(String operation, GcHeap callerHeap, long object) {
        if (callerHeap != heap) {
            throw new IllegalArgumentException(operation + "(slot=" + this + "): the slot handle belongs to another"
                    + " heap");
        }
        if (headerKey == RELEASED) {
            throw new IllegalArgumentException(operation + "(slot=" + this + "): type id " + typeId + " was released"
                    + " (GcHeap.releaseType) after this handle was made; make a new one with referenceSlot()");
        }
        long address = heap.plain(operation, object);
        heap.checkObject(operation, address);
        int actual = Header.typeId(heap.header(address));
        if (actual != typeId) {
            throw new IllegalArgumentException(operation + "(slot=" + this + ", object=0x" + Long.toHexString(object)
                    + "): the object is of type id " + actual + ", not the slot's type id " + typeId);
        }
    }

    @Override
    public String toString() {
        return "ReferenceSlot[typeId=" + typeId + ", byteOffset=" + byteOffset + "]";
    }
}
