package dev.pagealloc.heap.gc;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.Objects;

/**
 * One mutator thread's precise roots and its view of the heap. Roots live in frames: {@link #pushFrame()} at a
 * function's entry, {@link #addRoot(long)} for each reference it holds, {@link #popFrame()} at its exit; or, for
 * a value held across one call, {@link #push(long)} and {@link #pop()}, which returns the value's current
 * address (or {@link #allocatePopped(int, long)}, which pops it into a new object's first reference slot).
 * Collections update the slots when objects move, so read a slot again ({@link #root(int)}, {@link #pop()})
 * after any call that can collect.
 *
 * <p>The stack also carries the thread's heap operations: {@link #allocate(int)},
 * {@link #allocate(int, long, long)}, {@link #getReference(long, long)} and
 * {@link #setReference(long, long, long)} do what {@link GcHeap}'s methods of the same names do, with the same
 * checks and errors, but find the thread's state here instead of looking it up on each call, and make one owner
 * check and one read of a state word (released, heap closed, safepoint pending) per call. Use them in a
 * mutator's inner loops. {@link #getReference(ReferenceSlot, long)} and
 * {@link #setReference(ReferenceSlot, long, long)} take a slot handle resolved once
 * ({@link GcHeap#referenceSlot(int, long)}) instead of an offset, and check one header compare instead of the
 * offset's bounds and kind.
 *
 * <p>A thread with a shadow stack is attached to the heap as a mutator: collections wait for it to reach
 * a safepoint (see {@link GcHeap}). Confined to the thread that made it ({@link GcHeap#shadowStack()}):
 * other threads get {@link WrongThreadException}, and every call after {@link #release()} or the heap's
 * {@link GcHeap#close()} throws {@link IllegalStateException}. Calls other than {@link #release()} take no
 * lock on their common path: a collection reads the slots only while the owner is parked at a safepoint, and
 * the lock it parks under orders the two.
 */
public final class ShadowStack {

    /** {@link #gate} bit: a collection waits for the mutators; allocation must take the locked path and park. */
    static final int SAFEPOINT = 1;
    /** {@link #gate} bit: the heap collects every N allocations, so each allocation takes the locked path. */
    static final int STRESS = 2;
    /** {@link #gate} bit: a checked heap (object tags); every call takes the locked path, where tags are checked. */
    static final int TAGGED = 4;
    /** {@link #gate} bit: {@link #release()} ran; every call throws. */
    static final int RELEASED = 8;
    /** {@link #gate} bit: the heap is closed; every call throws. */
    static final int CLOSED = 16;

    private static final VarHandle GATE;

    static {
        try {
            GATE = MethodHandles.lookup().findVarHandle(ShadowStack.class, "gate", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final GcHeap heap;
    final Thread owner;
    long[] slots = new long[64];
    int top;
    private int[] frames = new int[16];
    private int depth;
    /** The first slot of the innermost frame (0 with none open): {@link #pop()} goes no lower. */
    private int frameBase;
    /**
     * Everything a call needs to know before its lock-free path, in one word: 0 when allocation may bump and
     * fields may be read and written without the lock; {@link #SAFEPOINT} and {@link #STRESS} send allocation
     * to the locked path; {@link #TAGGED} sends every call there; {@link #RELEASED} and {@link #CLOSED} make
     * every call throw. Written under the heap's lock (opaque: the collection's safepoint, close, release),
     * read by the owner without it (opaque, so a raised bit is seen on the owner's next call, as the safepoint
     * flag was).
     */
    @SuppressWarnings("unused") // accessed through GATE
    private int gate;
    // Objects this stack handed out since the owner's last safepoint: the last allocation, the last pop() and the
    // last reference read, each 0 or an object start the heap made or checked. Objects move and die only in a
    // collection, which starts once the owner is parked at a safepoint by making every attached stack forget them
    // (Safepoints.begin calls forget()); until then each is still an object start with its header, so a call that
    // gets one back skips its object-start test (see knowsObject). A caller-supplied long that is none of them is
    // checked.
    private long lastAllocated;
    private long lastPopped;
    private long lastRead;
    // The thread's nursery buffer: [bufferCursor, bufferLimit) is free, [bufferStart, bufferCursor) not yet
    // counted in the statistics. Written by the owner, and by a collection while the owner is parked.
    long bufferStart;
    long bufferCursor;
    long bufferLimit;
    // The heap's allocation tables (GcHeap.bufferHeaders and pairHeaders, replaced when they grow) and start bitmap,
    // one load closer to the allocation fast path than through the heap. Written under the heap's lock when a table
    // is replaced (TypeRegistry.publish); plain, as the heap's own fields are.
    long[] bufferHeaders;
    long[] pairHeaders;
    final long[] nurseryStarts;
    final long nurseryBase;

    /** Made under the heap's lock, with the bits that hold for the heap now. */
    ShadowStack(GcHeap heap, Thread owner, int gate) {
        this.heap = heap;
        this.owner = owner;
        this.bufferHeaders = heap.bufferHeaders;
        this.pairHeaders = heap.pairHeaders;
        this.nurseryStarts = heap.nursery.starts;
        this.nurseryBase = heap.nursery.base;
        GATE.setOpaque(this, gate);
    }

    /** {@return the state word}: one opaque read */
    int gate() {
        return (int) GATE.getOpaque(this);
    }

    /**
     * {@return whether the stack is released}: by {@link #release()}, or by the collection that found its thread
     * ended ({@link #RELEASED} in the state word, the one record of it); read under the heap's lock
     */
    boolean isReleased() {
        return (gate() & RELEASED) != 0;
    }

    /** Sets {@code bits} in the state word; under the heap's lock. */
    void raise(int bits) {
        GATE.setOpaque(this, gate() | bits);
    }

    /** Clears {@code bits} in the state word; under the heap's lock. */
    void lower(int bits) {
        GATE.setOpaque(this, gate() & ~bits);
    }

    /**
     * {@return whether {@code value} is a non-zero address this stack handed out since the owner's last
     * safepoint}, so an object of the heap until then; valid only while the state word is below {@link #TAGGED}
     */
    boolean knowsObject(long value) {
        return value != 0 && (value == lastRead || value == lastAllocated || value == lastPopped);
    }

    /**
     * {@return whether {@code object} is an object start in the nursery or in a committed old block}: the test of
     * {@link GcHeap#spaceEnd} for the fast paths of slot handles (a large object fails it), whose nursery part reads
     * this stack's copies of the nursery's base and start bitmap rather than the heap's; lock-free, for the owner
     */
    private boolean isObjectStart(long object) {
        long bit = Nursery.startBit(nurseryBase, object);
        long[] starts = nurseryStarts;
        return bit >>> 6 < starts.length ? Nursery.isStartBitSet(starts, bit)
                : heap.old.payloadOffsetInBlock(object) >= 0;
    }

    /** Forgets the objects handed out: a collection is about to move them. Under the lock, the owner parked. */
    void forget() {
        lastAllocated = 0;
        lastPopped = 0;
        lastRead = 0;
    }

    /**
     * The check every call makes: the owner's thread, the stack not released, the heap open. {@return the state
     * word}, below {@link #RELEASED}.
     */
    private int enter(String operation) {
        if (Thread.currentThread() != owner) {
            throw wrongThread(operation);
        }
        int bits = gate();
        if (bits >= RELEASED) {
            throw unusable(operation, bits);
        }
        return bits;
    }

    private WrongThreadException wrongThread(String operation) {
        return new WrongThreadException(operation + ": this shadow stack belongs to thread " + owner.getName()
                + ", not " + Thread.currentThread().getName());
    }

    private static IllegalStateException unusable(String operation, int bits) {
        return new IllegalStateException(operation + ": " + ((bits & CLOSED) != 0 ? "the heap is closed"
                : "the shadow stack is released; GcHeap.shadowStack() attaches the thread again"));
    }

    // ---------------------------------------------------------------- frames and roots

    /** Opens a frame; roots added until the matching {@link #popFrame()} belong to it. */
    public void pushFrame() {
        enter("pushFrame");
        if (depth == frames.length) {
            frames = Arrays.copyOf(frames, depth * 2);
        }
        frames[depth++] = top;
        frameBase = top;
    }

    /**
     * Closes the innermost frame and drops its roots, those of {@link #push(long)} included.
     *
     * @throws IllegalStateException if no frame is open (an unbalanced pop); nothing changes
     */
    public void popFrame() {
        enter("popFrame");
        if (depth == 0) {
            throw new IllegalStateException("popFrame(): no frame is open (unbalanced pop)");
        }
        // The dropped slots keep their values: nothing reads a slot at or above top (root() checks, and
        // collections scan below top), and addRoot() overwrites it.
        top = frames[--depth];
        frameBase = depth == 0 ? 0 : frames[depth - 1];
    }

    /**
     * Adds a root to the innermost frame.
     *
     * @param object an object of the heap, or 0
     * @return the slot, for {@link #root(int)} and {@link #setRoot(int, long)}
     * @throws IllegalStateException if no frame is open
     * @throws IllegalArgumentException if a non-zero {@code object} is not an object of the heap
     */
    public int addRoot(long object) {
        enter("addRoot");
        if (depth == 0) {
            throw new IllegalStateException("addRoot(object=0x" + Long.toHexString(object)
                    + "): no frame is open; call pushFrame() first");
        }
        long address = heap.checkRoot("addRoot", object);
        if (top == slots.length) {
            slots = Arrays.copyOf(slots, top * 2);
        }
        slots[top] = address;
        return top++;
    }

    /**
     * {@return the object in a slot of an open frame (its current address), or 0}
     *
     * @param slot a slot from {@link #addRoot(long)} whose frame is open
     * @throws IndexOutOfBoundsException if there is no such slot
     */
    public long root(int slot) {
        int bits = enter("root");
        Objects.checkIndex(slot, top);
        return bits < TAGGED ? slots[slot] : heap.handedOut(slots[slot]);
    }

    /**
     * Replaces the object in a slot; 0 removes the root's object.
     *
     * @param slot a slot from {@link #addRoot(long)} whose frame is open
     * @param object an object of the heap, or 0
     * @throws IndexOutOfBoundsException if there is no such slot
     * @throws IllegalArgumentException if a non-zero {@code object} is not an object of the heap
     */
    public void setRoot(int slot, long object) {
        enter("setRoot");
        Objects.checkIndex(slot, top);
        slots[slot] = heap.checkRoot("setRoot", object);
    }

    /**
     * Pushes a root onto the innermost frame (or below every frame, if none is open), to hold one value across
     * a call that can collect; {@link #pop()} takes it back. {@link #popFrame()} drops roots pushed in its frame
     * and not popped, so an exception thrown between the two leaves no root behind the frame.
     *
     * @param object an object of the heap, or 0
     * @throws IllegalArgumentException if a non-zero {@code object} is not an object of the heap; nothing is pushed
     */
    public void push(long object) {
        long address = enter("push") < TAGGED && knowsObject(object) ? object : heap.checkRoot("push", object);
        if (top == slots.length) {
            slots = Arrays.copyOf(slots, top * 2);
        }
        slots[top++] = address;
    }

    /**
     * {@return whether {@code value} is 0 or an address this stack handed out since the owner's last safepoint},
     * the last allocation tested first; valid only while the state word is below {@link #TAGGED}. The zero test
     * comes last: a 0 that equals a forgotten field is still a valid value. {@link #knowsObject} in another order:
     * an allocation's values are most often the last allocation, a read's object the last read, and building
     * through {@code value == 0 || knowsObject(value)} measured 6.25-6.47 against 6.13-6.26 ns per node.
     */
    private boolean knowsObjectOrNull(long value) {
        return value == lastAllocated || value == lastPopped || value == lastRead || value == 0;
    }

    /**
     * Pops the innermost frame's last root (the last {@link #push(long)}, or {@link #addRoot(long)}). The object is
     * no longer held by this stack: keep it in another root, or pass it to {@link #allocate(int, long, long)},
     * before the next call that can collect.
     *
     * @return the popped root's object at its current address, or 0
     * @throws IllegalStateException if the innermost frame (or, with none open, the stack) has no slot left to
     *     pop (an unbalanced pop); nothing changes
     */
    public long pop() {
        int bits = enter("pop");
        if (top <= frameBase) {
            throw new IllegalStateException("pop(): the innermost frame has no root left to pop (unbalanced pop;"
                    + " frames open: " + depth + ")");
        }
        long address = slots[--top];
        if (bits >= TAGGED) {
            return heap.handedOut(address);
        }
        lastPopped = address;
        return address;
    }

    /** {@return the number of open frames} */
    public int depth() {
        enter("depth");
        return depth;
    }

    // ---------------------------------------------------------------- allocation and references

    /**
     * {@link GcHeap#allocate(int)} for this thread: a fixed-size object, its payload zero. Can collect.
     *
     * @param typeId a registered {@link TypeLayout.Fixed} type
     * @return the object's address
     * @throws IllegalArgumentException if the type id is unknown or names an array type
     * @throws HeapExhaustedException if the object does not fit after a full collection
     * @throws IllegalStateException if the heap is closed or this stack released
     * @throws WrongThreadException if the caller is not the stack's thread
     */
    public long allocate(int typeId) {
        long object = Thread.currentThread() == owner && gate() == 0 ? heap.bump(this, typeId) : 0;
        if (object == 0) {
            enter("allocate");
            object = heap.slow.allocate(typeId);
        }
        lastAllocated = object;
        return object;
    }

    /**
     * {@link GcHeap#allocate(int, long, long)} for this thread: a fixed-size object with its first two reference
     * slots set to {@code first} and {@code second}, which are kept alive (and their new addresses stored) if the
     * allocation collects. Can collect.
     *
     * @param typeId a registered {@link TypeLayout.Fixed} type with at least two reference offsets
     * @param first an object of the heap, or 0: the value of the lowest reference slot
     * @param second an object of the heap, or 0: the value of the next reference slot
     * @return the object's address
     * @throws IllegalArgumentException if the type id is unknown, names an array type or a type with fewer than
     *     two reference slots, or a non-zero {@code first} or {@code second} is not an object of the heap;
     *     nothing is allocated
     * @throws HeapExhaustedException if the object does not fit after a full collection
     * @throws IllegalStateException if the heap is closed or this stack released
     * @throws WrongThreadException if the caller is not the stack's thread
     */
    public long allocate(int typeId, long first, long second) {
        long object = 0;
        if (Thread.currentThread() == owner && gate() == 0) {
            object = knowsObjectOrNull(first) && knowsObjectOrNull(second)
                    ? heap.bumpPair(this, typeId, first, second) : heap.bump(this, typeId, first, second);
        }
        if (object == 0) {
            enter("allocate");
            object = heap.slow.allocate(typeId, first, second);
        }
        lastAllocated = object;
        return object;
    }

    /**
     * {@link #allocate(int, long, long)} with {@code first} the innermost frame's last root, popped once the object
     * is made: {@code allocate(typeId, pop(), second)} in one call, with one owner check and one read of the state
     * word instead of two, and no test of {@code first}, which the stack has held (and a collection kept updated)
     * since it was pushed. Building a tree bottom-up, push the left subtree, build the right one and call this.
     * Can collect; {@code first} and {@code second} are kept alive and stored at their new addresses if it does.
     *
     * @param typeId a registered {@link TypeLayout.Fixed} type with at least two reference offsets
     * @param second an object of the heap, or 0: the value of the second-lowest reference slot
     * @return the object's address
     * @throws IllegalStateException if the innermost frame (or, with none open, the stack) has no slot left to
     *     pop (an unbalanced pop), the heap is closed or this stack released; nothing is popped or allocated
     * @throws IllegalArgumentException if the type id is unknown, names an array type or a type with fewer than
     *     two reference slots, or a non-zero {@code second} is not an object of the heap; nothing is popped or
     *     allocated
     * @throws HeapExhaustedException if the object does not fit after a full collection; nothing is popped
     * @throws WrongThreadException if the caller is not the stack's thread
     */
    public long allocatePopped(int typeId, long second) {
        int at = top - 1;
        if (Thread.currentThread() == owner && gate() == 0 && at >= frameBase) {
            // A slot of an open frame holds 0 or an object start: addRoot, setRoot and push check what they store,
            // and collections store the new addresses.
            long first = slots[at];
            long object = knowsObjectOrNull(second) ? heap.bumpPair(this, typeId, first, second)
                    : heap.bump(this, typeId, first, second);
            if (object != 0) {
                top = at;
                lastAllocated = object;
                return object;
            }
        }
        return allocatePoppedLocked(typeId, second);
    }

    /** {@link #allocatePopped} when its fast path does not apply: the root stays held until the object is made. */
    private long allocatePoppedLocked(int typeId, long second) {
        int bits = enter("allocatePopped");
        if (top <= frameBase) {
            throw new IllegalStateException("allocatePopped(typeId=" + typeId + ", second=0x"
                    + Long.toHexString(second) + "): the innermost frame has no root left to pop (unbalanced pop;"
                    + " frames open: " + depth + ")");
        }
        long first = slots[top - 1];
        long object = heap.slow.allocate(typeId, bits < TAGGED ? first : heap.handedOut(first), second);
        top--;
        lastAllocated = object;
        return object;
    }

    /**
     * {@link GcHeap#getReference(long, long)} for this thread: the reference in a slot, checked the same way.
     *
     * @param object an object of the heap
     * @param byteOffset a reference slot of its type, in bytes from the object's address
     * @return an object's address, or 0
     * @throws IllegalArgumentException if {@code object} is not an object of the heap, or the offset is not a
     *     reference slot of its type
     * @throws IndexOutOfBoundsException if the offset is not 8-aligned within the payload
     * @throws IllegalStateException if the heap is closed or this stack released
     * @throws WrongThreadException if the caller is not the stack's thread
     */
    public long getReference(long object, long byteOffset) {
        // The owner and the state word in one branch: the common path makes no other test before locate().
        if (Thread.currentThread() == owner && gate() < TAGGED) {
            long at = knowsObject(object) ? heap.locateKnown(object, byteOffset, 8, true)
                    : heap.locate(object, byteOffset, 8, true);
            if (at != 0) {
                // A checked slot of a live object holds 0 or an object start (the barrier and the collections keep
                // it so), and that stays true until the next safepoint.
                long value = AddressSpace.ALL.get(AddressSpace.WORD, at);
                lastRead = value;
                return value;
            }
        }
        enter("getReference");
        return heap.locked.getReference(object, byteOffset);
    }

    /**
     * {@link GcHeap#setReference(long, long, long)} for this thread: stores a reference through the write
     * barrier, checked the same way.
     *
     * @param object an object of the heap
     * @param byteOffset a reference slot of its type, in bytes from the object's address
     * @param value an object of the heap, or 0
     * @throws IllegalArgumentException if {@code object} or a non-zero {@code value} is not an object of the
     *     heap, or the offset is not a reference slot of its type; nothing is written
     * @throws IndexOutOfBoundsException if the offset is not 8-aligned within the payload
     * @throws IllegalStateException if the heap is closed or this stack released
     * @throws WrongThreadException if the caller is not the stack's thread
     */
    public void setReference(long object, long byteOffset, long value) {
        if (enter("setReference") >= TAGGED || !heap.storeReference(object, byteOffset, value, knowsObject(object),
                value == 0 || knowsObject(value))) {
            heap.locked.setReference(object, byteOffset, value);
        }
    }

    /**
     * {@link #getReference(long, long)} through a slot handle: the reference in {@code slot} of {@code object},
     * which must be an object of the handle's type. The offset's checks were made when the handle was made, so a
     * call checks the owner and the state word, the object start (skipped for an object this stack handed out since
     * its last safepoint), and that the object's header carries the handle's type id and payload size.
     *
     * @param slot a handle from this heap's {@link GcHeap#referenceSlot(int, long)}
     * @param object an object of the handle's type
     * @return an object's address, or 0
     * @throws NullPointerException if {@code slot} is null
     * @throws IllegalArgumentException if the handle belongs to another heap or its type was released, or
     *     {@code object} is not an object of the heap or not of the handle's type
     * @throws IllegalStateException if the heap is closed or this stack released
     * @throws WrongThreadException if the caller is not the stack's thread
     * @throws dev.pagealloc.api.TagMismatchException in a checked heap, if {@code object}'s tag does not match
     *     its memory's
     */
    public long getReference(ReferenceSlot slot, long object) {
        if (Thread.currentThread() == owner && gate() < TAGGED && slot.heap == heap
                && (knowsObject(object) || isObjectStart(object))
                && slot.matches(AddressSpace.ALL.get(AddressSpace.WORD, object - Header.BYTES))) {
            // As in getReference(long, long): a slot of a live object holds 0 or an object start until the next
            // safepoint.
            long value = AddressSpace.ALL.get(AddressSpace.WORD, object + slot.byteOffset);
            lastRead = value;
            return value;
        }
        enter("getReference");
        heap.lock.lock();
        try {
            heap.checkAlive("getReference");
            slot.checkLocked("getReference", heap, object);
            return heap.locked.getReference(object, slot.byteOffset);
        } finally {
            heap.lock.unlock();
        }
    }

    /**
     * {@link #setReference(long, long, long)} through a slot handle: stores {@code value} in {@code slot} of
     * {@code object}, through the write barrier, with the checks of {@link #getReference(ReferenceSlot, long)} on
     * the holder and those of {@link #setReference(long, long, long)} on the value.
     *
     * @param slot a handle from this heap's {@link GcHeap#referenceSlot(int, long)}
     * @param object an object of the handle's type
     * @param value an object of the heap, or 0
     * @throws NullPointerException if {@code slot} is null
     * @throws IllegalArgumentException if the handle belongs to another heap or its type was released,
     *     {@code object} is not an object of the heap or not of the handle's type, or a non-zero {@code value} is
     *     not an object of the heap; nothing is written
     * @throws IllegalStateException if the heap is closed or this stack released
     * @throws WrongThreadException if the caller is not the stack's thread
     * @throws dev.pagealloc.api.TagMismatchException in a checked heap, if the tag of {@code object} or
     *     {@code value} does not match its memory's; nothing is written
     */
    public void setReference(ReferenceSlot slot, long object, long value) {
        if (Thread.currentThread() == owner && gate() < TAGGED && slot.heap == heap
                && heap.storeSlot(slot, object, value, knowsObject(object) || isObjectStart(object),
                        value == 0 || knowsObject(value))) {
            return;
        }
        enter("setReference");
        heap.lock.lock();
        try {
            heap.checkAlive("setReference");
            slot.checkLocked("setReference", heap, object);
            heap.locked.setReference(object, slot.byteOffset, value);
        } finally {
            heap.lock.unlock();
        }
    }

    /** Drops every frame and stops this stack from being scanned; the thread's next call makes a new one. */
    public void release() {
        enter("release");
        heap.lock.lock();
        try {
            heap.slow.retireBuffer(this);
            raise(RELEASED);
            heap.stacks.remove(this);
            heap.threadStack.remove(); // enter() made sure this is the owner: its entry goes
            heap.safepointChanged();
        } finally {
            heap.lock.unlock();
        }
    }
}
