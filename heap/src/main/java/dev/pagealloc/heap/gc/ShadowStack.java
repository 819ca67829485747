package dev.pagealloc.heap.gc;

/**
 * One mutator thread's precise roots, in frames: {@link #pushFrame()} at a function's entry,
 * {@link #addRoot(long)} for each reference it holds, {@link #popFrame()} at its exit. Collections
 * update the slots when objects move, so read a slot again ({@link #root(int)}) after any call that can
 * collect.
 *
 * <p>A thread with a shadow stack is attached to the heap as a mutator: collections wait for it to reach
 * a safepoint (see {@link GcHeap}). Confined to the thread that made it ({@link GcHeap#shadowStack()});
 * other threads get
 * {@link WrongThreadException}. Calls other than {@link #release()} take no lock: a collection reads the
 * slots only while the owner is parked at a safepoint, and the lock it parks under orders the two.
 *
 * <p>The stack is also the attached thread's mutator state: its nursery buffer (a bump pointer) lives here.
 */
public final class ShadowStack {

    private final GcHeap heap;
    final Thread owner;
    long[] slots = new long[64];
    int top;
    private int[] frames = new int[16];
    private int depth;
    boolean released;
    // The thread's nursery buffer: [bufferCursor, bufferLimit) is free, [bufferStart, bufferCursor) not yet
    // counted in the statistics. Written by the owner, and by a collection while the owner is parked.
    long bufferStart;
    long bufferCursor;
    long bufferLimit;

    ShadowStack(GcHeap heap, Thread owner) {
        this.heap = heap;
        this.owner = owner;
    }

    private void enter(String operation) {
        if (Thread.currentThread() != owner) {
            throw new WrongThreadException(operation + ": this shadow stack belongs to thread " + owner.getName());
        }
        if (released || !heap.isAlive()) {
            throw new IllegalStateException(operation + ": the shadow stack is released or the heap closed");
        }
    }

    /** Opens a frame; roots added until the matching {@link #popFrame()} belong to it. */
    public void pushFrame() {
        enter("pushFrame");
        if (depth == frames.length) {
            frames = java.util.Arrays.copyOf(frames, depth * 2);
        }
        frames[depth++] = top;
    }

    /**
     * Closes the innermost frame and drops its roots.
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
            slots = java.util.Arrays.copyOf(slots, top * 2);
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
        enter("root");
        java.util.Objects.checkIndex(slot, top);
        return heap.tags == null ? slots[slot] : heap.handedOut(slots[slot]);
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
        java.util.Objects.checkIndex(slot, top);
        slots[slot] = heap.checkRoot("setRoot", object);
    }

    /** {@return the number of open frames} */
    public int depth() {
        enter("depth");
        return depth;
    }

    /** Drops every frame and stops this stack from being scanned; the thread's next call makes a new one. */
    public void release() {
        enter("release");
        heap.lock.lock();
        try {
            heap.slow.retireBuffer(this);
            released = true;
            heap.stacks.remove(this);
            heap.threadStack.remove(); // enter() made sure this is the owner: its entry goes
            heap.safepointChanged();
        } finally {
            heap.lock.unlock();
        }
    }
}
