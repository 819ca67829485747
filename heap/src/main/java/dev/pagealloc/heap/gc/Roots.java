package dev.pagealloc.heap.gc;

import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * A heap's roots other than the shadow stacks: handles, global slots and pinned objects, which every
 * collection scans (and updates, for the moving ones). Each method takes the heap's lock and checks that the
 * heap is open; the collectors read the fields under the same lock.
 */
final class Roots {

    private final GcHeap heap;
    final Set<Handle> handles = new LinkedHashSet<>();
    final Set<Long> pinned = new HashSet<>();
    long[] globals = new long[8];
    int globalCount;

    Roots(GcHeap heap) {
        this.heap = heap;
    }

    /** {@link GcHeap#newHandle}. */
    Handle newHandle(long object) {
        heap.lock.lock();
        try {
            heap.checkAlive("newHandle");
            Handle handle = new Handle(heap, heap.checkReference("newHandle", object));
            handles.add(handle);
            return handle;
        } finally {
            heap.lock.unlock();
        }
    }

    /** {@link GcHeap#addGlobalRoot}. */
    int addGlobal(long object) {
        heap.lock.lock();
        try {
            heap.checkAlive("addGlobalRoot");
            long address = heap.checkReference("addGlobalRoot", object);
            if (globalCount == globals.length) {
                globals = Arrays.copyOf(globals, globalCount * 2);
            }
            globals[globalCount] = address;
            return globalCount++;
        } finally {
            heap.lock.unlock();
        }
    }

    /** {@link GcHeap#globalRoot}. */
    long global(int index) {
        heap.lock.lock();
        try {
            heap.checkAlive("globalRoot");
            Objects.checkIndex(index, globalCount);
            return heap.handedOut(globals[index]);
        } finally {
            heap.lock.unlock();
        }
    }

    /** {@link GcHeap#setGlobalRoot}. */
    void setGlobal(int index, long object) {
        heap.lock.lock();
        try {
            heap.checkAlive("setGlobalRoot");
            Objects.checkIndex(index, globalCount);
            globals[index] = heap.checkReference("setGlobalRoot", object);
        } finally {
            heap.lock.unlock();
        }
    }

    /** {@link GcHeap#pin} with {@code pin}, {@link GcHeap#unpin} without. */
    void setPinned(String operation, long object, boolean pin) {
        heap.lock.lock();
        try {
            heap.checkAlive(operation);
            object = heap.plain(operation, object);
            heap.checkObject(operation, object);
            long header = heap.header(object);
            heap.setWord(object - Header.BYTES, pin ? header | Header.PINNED : header & ~Header.PINNED);
            if (pin) {
                pinned.add(object);
            } else {
                pinned.remove(object);
            }
        } finally {
            heap.lock.unlock();
        }
    }

    /** {@link GcHeap#isPinned}. */
    boolean isPinned(long object) {
        heap.lock.lock();
        try {
            heap.checkAlive("isPinned");
            object = heap.plain("isPinned", object);
            heap.checkObject("isPinned", object);
            return (heap.header(object) & Header.PINNED) != 0;
        } finally {
            heap.lock.unlock();
        }
    }
}
