package dev.pagealloc.wasm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A test-only storage: one shared-arena segment of the maximum size, zeroed by the JDK, whose view grows
 * in place. It keeps {@link MemoryStorage}'s contract (the base never moves, a grown view is published
 * after its bytes, release closes the arena so every view taken before throws), so the accessors can be
 * tested before the real storages exist; it reserves nothing and guards nothing.
 */
final class TestStorage implements MemoryStorage {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment whole;
    private final long pageBytes;
    private final long maximumPages;
    private final boolean keepBytesAfterRelease;
    private volatile MemorySegment view;
    private volatile boolean released;

    private TestStorage(MemoryType type, boolean keepBytesAfterRelease) {
        this.keepBytesAfterRelease = keepBytesAfterRelease;
        pageBytes = type.pageBytes();
        maximumPages = type.maximumPages();
        whole = arena.allocate(Math.max(1, maximumPages * pageBytes), 65536);
        view = whole.asSlice(0, type.minimumPages() * pageBytes);
    }

    /** A memory on a fresh test storage; {@code type} must declare a small maximum. */
    static LinearMemory memory(MemoryType type) {
        return new LinearMemory(type, new TestStorage(type, false));
    }

    /**
     * A memory whose storage, like a pool slot in quarantine, keeps its bytes mapped and every view
     * working after release (until {@link #closeArena}); only {@link #view()} refuses.
     */
    static TestStorage quarantining(MemoryType type) {
        return new TestStorage(type, true);
    }

    LinearMemory memory() {
        return new LinearMemory(new MemoryType(IndexType.I32, pageBytes, view.byteSize() / pageBytes, maximumPages,
                true), this);
    }

    /** Ends the quarantine: every view taken before throws from now on. */
    void closeArena() {
        arena.close();
    }

    static LinearMemory memory(long minimumPages, long maximumPages, boolean shared) {
        return memory(new MemoryType(IndexType.I32, MemoryType.WASM_PAGE_BYTES, minimumPages, maximumPages,
                shared));
    }

    @Override
    public MemorySegment view() {
        if (released) {
            throw new IllegalStateException("released");
        }
        return view;
    }

    @Override
    public long byteSize() {
        return view.byteSize();
    }

    @Override
    public synchronized long grow(long deltaPages) {
        long oldPages = view.byteSize() / pageBytes;
        if (released || Long.compareUnsigned(deltaPages, maximumPages - oldPages) > 0) {
            return -1;
        }
        view = whole.asSlice(0, (oldPages + deltaPages) * pageBytes);
        return oldPages;
    }

    @Override
    public synchronized void release() {
        if (!released) {
            released = true;
            if (!keepBytesAfterRelease) {
                arena.close();
            }
        }
    }

    @Override
    public boolean isReleased() {
        return released;
    }
}
