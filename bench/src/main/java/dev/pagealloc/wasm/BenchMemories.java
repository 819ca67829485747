package dev.pagealloc.wasm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * TEMPORARY, until {@code LinearMemory.create} exists: a {@link LinearMemory} over one shared-arena
 * segment of the maximum size (zeroed by the JDK; nothing reserved, no guard pages), reached through
 * the package-private constructor from this class-path-only module. The accessors measured are the
 * production ones; only the storage differs. Replace {@link #ofSharedArena} by
 * {@code LinearMemory.create} and delete this file when the storage lands.
 */
public final class BenchMemories {
    private BenchMemories() {}

    /**
     * {@return a memory of {@code type}, its storage a shared-arena segment of the maximum size}
     *
     * @param type the type; {@code maximumPages} must be set and small enough to allocate
     */
    public static LinearMemory ofSharedArena(MemoryType type) {
        return new LinearMemory(type, new ArenaStorage(type));
    }

    /** Grows a view over one preallocated segment; the base never moves. Thread-safe. */
    private static final class ArenaStorage implements MemoryStorage {
        private final Arena arena = Arena.ofShared();
        private final MemorySegment whole;
        private final long pageBytes;
        private volatile MemorySegment view;
        private volatile boolean released;

        ArenaStorage(MemoryType type) {
            pageBytes = type.pageBytes();
            whole = arena.allocate(Math.max(1, type.maximumPages() * pageBytes), pageBytes);
            view = whole.asSlice(0, type.minimumPages() * pageBytes);
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
            if (released || Long.compareUnsigned(deltaPages, whole.byteSize() / pageBytes - oldPages) > 0) {
                return -1;
            }
            view = whole.asSlice(0, (oldPages + deltaPages) * pageBytes);
            return oldPages;
        }

        @Override
        public synchronized void release() {
            if (!released) {
                released = true;
                arena.close();
            }
        }

        @Override
        public boolean isReleased() {
            return released;
        }
    }
}
