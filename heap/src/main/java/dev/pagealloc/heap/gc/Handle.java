package dev.pagealloc.heap.gc;

/**
 * A root for Java code that holds an object across collections: it keeps the object alive and
 * follows it when it moves, until {@link #close()}. Thread-safe (calls take the heap's lock).
 */
public final class Handle implements AutoCloseable {

    private final GcHeap heap;
    long object;
    private boolean closed;

    Handle(GcHeap heap, long object) {
        this.heap = heap;
        this.object = object;
    }

    /**
     * {@return the object's current address, or 0}
     *
     * @throws IllegalStateException if the handle or the heap is closed
     */
    public long get() {
        heap.lock.lock();
        try {
            check("get");
            return heap.handedOut(object);
        } finally {
            heap.lock.unlock();
        }
    }

    /**
     * Makes the handle hold another object.
     *
     * @param newObject an object of the heap, or 0
     * @throws IllegalArgumentException if a non-zero {@code newObject} is not an object of the heap
     * @throws IllegalStateException if the handle or the heap is closed
     */
    public void set(long newObject) {
        heap.lock.lock();
        try {
            check("set");
            object = heap.checkReference("Handle.set", newObject);
        } finally {
            heap.lock.unlock();
        }
    }

    private void check(String operation) {
        heap.checkAlive("Handle." + operation);
        if (closed) {
            throw new IllegalStateException("Handle." + operation + ": the handle is closed");
        }
    }

    /** Drops the root. Idempotent. */
    @Override
    public void close() {
        heap.lock.lock();
        try {
            closed = true;
            heap.roots.handles.remove(this);
        } finally {
            heap.lock.unlock();
        }
    }
}
