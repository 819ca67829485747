package dev.pagealloc.heap.manual;

import dev.pagealloc.api.Region;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.util.ArrayList;
import java.util.List;

/**
 * Bump allocation in page chunks of a {@link ManualHeap}, freed all at once by {@link #reset()} or
 * {@link #close()}. A {@link SegmentAllocator}, so every FFM API that takes one can use it:
 *
 * {@snippet :
 * try (HeapArena arena = heap.newArena()) {
 *     MemorySegment name = arena.allocateFrom("pagealloc");        // UTF-8, NUL-terminated
 *     MemorySegment xs = arena.allocateFrom(ValueLayout.JAVA_INT, 1, 2, 3);
 * }                                                                   // both invalid from here
 * }
 *
 * <p>Allocations read zero, as {@link Arena#allocate(long, long)}'s do: a reused chunk is zeroed a stride
 * (16 KiB) ahead of the bump, just before its bytes are handed out, rather than
 * per allocation. Requests over a quarter of a chunk, or aligned to more than 4 KiB, get
 * a region of their own. Chunks go back to the heap for reuse by later arenas; the heap returns
 * them to the allocator on {@link ManualHeap#trim()} or close.
 *
 * <h2>Lifetime and threads</h2>
 * Confined, as {@link Arena#ofConfined()}: the arena and its segments belong to the thread that
 * made it; another thread gets {@link WrongThreadException}. {@link #reset()} and {@link #close()}
 * invalidate every segment allocated so far (access throws {@link IllegalStateException}), so
 * memory is reused only once no segment can reach it. Nested arenas ({@link #newChild()}) are reset
 * and closed with their parent.
 */
public final class HeapArena implements SegmentAllocator, AutoCloseable {
    private static final long CHUNK_ALIGNMENT = 4096;
    /** How far ahead of the bump a reused chunk is zeroed, in bytes: well inside a first-level data cache. */
    static final long ZERO_STRIDE_BYTES = 16 * 1024;
    /** A reused chunk written no further than this is zeroed at once, in bytes (too little to stride). */
    private static final long ZERO_AT_ONCE_BYTES = 32 * 1024;

    private final ManualHeap heap;
    private final HeapArena parent;
    private final Thread owner;
    private final List<ArenaChunks.Chunk> chunks = new ArrayList<>();
    private final List<Region> dedicated = new ArrayList<>();
    private final List<HeapArena> children = new ArrayList<>();
    private Arena scope = Arena.ofConfined();
    private ArenaChunks.Chunk current;
    private MemorySegment currentView;
    /** The bump pointer: the offset in the current chunk of its first byte not handed out. */
    private long top;
    /** The current chunk's size, in bytes (0 without a chunk). */
    private long limit;
    /**
     * Below it the current chunk reads zero from {@link #top} on: the fast path's one bound. A reused
     * chunk's bytes up to its {@code writtenBytes} are zeroed {@value #ZERO_STRIDE_BYTES} bytes ahead of
     * the bump, just before they are handed out (so the caller finds them in cache); -1 without a chunk.
     */
    private long readyLimit = -1;
    /** The bytes handed out from chunks before the current one since the last reset. */
    private long filledBytes;
    private boolean closed;

    HeapArena(ManualHeap heap, HeapArena parent) {
        this.heap = heap;
        this.parent = parent;
        this.owner = Thread.currentThread();
    }

    /**
     * {@return a bump-allocated segment of {@code byteSize} bytes at a multiple of {@code byteAlignment},
     * reading zero, valid until this arena is reset or closed}
     *
     * @param byteSize the size, in bytes; {@code >= 0}
     * @param byteAlignment the alignment, in bytes; a power of two, at most
     *     {@link ManualHeap#MAXIMUM_ALIGNMENT}
     * @throws IllegalArgumentException if {@code byteSize < 0} or {@code byteAlignment} is not a power of
     *     two or over the limit
     * @throws IllegalStateException if the arena or the heap is closed
     * @throws WrongThreadException if called from a thread other than the owner
     * @throws dev.pagealloc.api.PageAllocatorException if the allocator refuses pages; nothing changes
     */
    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        // The common case, small enough to inline whole: a bump within the chunk's zeroed part. The
        // one segment is made at the end (the slow path only makes room), so a caller's JIT may keep it
        // in registers. Bad arguments, a closed arena, a full chunk and dirty bytes all fail the one
        // comparison with readyLimit (-1 without a chunk) or the alignment test, and take makeRoom.
        if (Thread.currentThread() != owner) {
            throw wrongThread();
        }
        heap.checkOpen();
        long start = (top + byteAlignment - 1) & -byteAlignment;
        if (byteSize < 0 || byteSize > readyLimit - start || byteAlignment <= 0 || byteAlignment > CHUNK_ALIGNMENT
                || (byteAlignment & (byteAlignment - 1)) != 0) {
            if (needsOwnRegion(byteSize, byteAlignment)) {
                return allocateDedicated(byteSize, byteAlignment);
            }
            start = makeRoom(byteSize, byteAlignment);
        }
        top = start + byteSize;
        return currentView.asSlice(start, byteSize);
    }

    /**
     * {@return a new arena nested in this one, owned by the same thread: reset and closed with this one}
     *
     * @throws IllegalStateException if this arena or the heap is closed
     * @throws WrongThreadException if called from a thread other than the owner
     */
    public HeapArena newChild() {
        checkAccess();
        HeapArena child = new HeapArena(heap, this);
        children.add(child);
        return child;
    }

    /** {@return the bytes handed out since the last reset, in bytes, alignment padding included} */
    public long allocatedBytes() {
        long bytes = filledBytes + Math.max(top, 0);
        for (Region region : dedicated) {
            bytes += region.byteSize();
        }
        return bytes;
    }

    /**
     * Frees everything allocated so far, closing nested arenas, and invalidates every segment the
     * arena handed out; the arena stays usable.
     *
     * @throws IllegalStateException if the arena is closed
     * @throws WrongThreadException if called from a thread other than the owner
     */
    public void reset() {
        if (closed) {
            throw new IllegalStateException("the arena is closed");
        }
        checkOwner();
        releaseAll();
        scope = Arena.ofConfined();
    }

    /**
     * Frees everything, closes nested arenas and invalidates every segment the arena handed out.
     * Idempotent.
     *
     * @throws WrongThreadException if called from a thread other than the owner
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        checkOwner();
        releaseAll();
        closed = true;
        if (parent != null) {
            parent.children.remove(this);
        }
    }

    private void releaseAll() {
        for (HeapArena child : List.copyOf(children)) {
            child.close();
        }
        scope.close(); // first: no segment of the chunks is reachable after this
        if (current != null) {
            current.writtenBytes = Math.max(current.writtenBytes, top); // bytes past readyLimit stay dirty
        }
        for (ArenaChunks.Chunk chunk : chunks) {
            heap.arenaChunks.release(chunk);
        }
        chunks.clear();
        for (Region region : dedicated) {
            region.deallocate();
        }
        dedicated.clear();
        current = null;
        currentView = null;
        top = 0;
        limit = 0;
        readyLimit = -1;
        filledBytes = 0;
    }

    private void checkAccess() {
        checkOwner();
        if (closed) {
            throw new IllegalStateException("the arena is closed");
        }
        heap.checkOpen();
    }

    private void checkOwner() {
        if (Thread.currentThread() != owner) {
            throw wrongThread();
        }
    }

    private WrongThreadException wrongThread() {
        return new WrongThreadException("the arena belongs to thread " + owner.getName() + " (id "
                + owner.threadId() + "), not " + Thread.currentThread().getName());
    }

    /**
     * Checks what the fast path left unchecked.
     *
     * @return whether the request gets a region of its own (over a quarter of a chunk, or aligned
     *     to more than a chunk is)
     */
    private boolean needsOwnRegion(long byteSize, long byteAlignment) {
        checkAccess();
        if (byteSize < 0) {
            throw new IllegalArgumentException("byteSize=" + byteSize + " must be >= 0");
        }
        if (byteAlignment <= 0 || Long.bitCount(byteAlignment) != 1
                || byteAlignment > ManualHeap.MAXIMUM_ALIGNMENT) {
            throw new IllegalArgumentException("byteAlignment=" + byteAlignment + " must be a power of two"
                    + " at most MAXIMUM_ALIGNMENT=" + ManualHeap.MAXIMUM_ALIGNMENT);
        }
        return byteSize > heap.arenaChunks.chunkBytes / 4 || byteAlignment > CHUNK_ALIGNMENT;
    }

    /**
     * Makes room for a valid request of at most a quarter chunk: a new chunk if the current one is
     * full, then zeroes the next stride of a reused chunk's dirty bytes.
     *
     * @return the offset of the request in the current chunk
     */
    private long makeRoom(long byteSize, long byteAlignment) {
        long start = (top + byteAlignment - 1) & -byteAlignment;
        if (current == null || byteSize > limit - start) {
            startChunk();
            start = 0;
        }
        long end = start + byteSize;
        if (end > readyLimit) {
            long dirtyEnd = current.writtenBytes;
            long zeroTo = Math.min(dirtyEnd, Math.max(end, readyLimit + ZERO_STRIDE_BYTES));
            if (zeroTo > readyLimit) {
                currentView.asSlice(readyLimit, zeroTo - readyLimit).fill((byte) 0);
            }
            readyLimit = zeroTo >= dirtyEnd ? limit : zeroTo;
        }
        return start;
    }

    @SuppressWarnings("restricted")
    private void startChunk() {
        ArenaChunks.Chunk chunk = heap.arenaChunks.acquire();
        // SAFETY: the chunk's region stays mapped while it is in this arena's list: it goes back to the
        // heap (or the allocator) only in releaseAll(), after the scope is closed. The chunk's view is
        // the region's accessible bytes, so the new segment has the region's bounds.
        MemorySegment view = chunk.region.segment().reinterpret(scope, null);
        if (current != null) {
            current.writtenBytes = Math.max(current.writtenBytes, top);
            filledBytes += top;
        }
        chunks.add(chunk);
        current = chunk;
        currentView = view;
        top = 0;
        limit = view.byteSize();
        if (chunk.writtenBytes <= ZERO_AT_ONCE_BYTES) {
            view.asSlice(0, chunk.writtenBytes).fill((byte) 0); // a fresh chunk reads zero: nothing to fill
            chunk.writtenBytes = 0;
            readyLimit = limit;
        } else {
            readyLimit = 0; // a kept chunk with much written: zeroed in strides by makeRoom
        }
    }

    @SuppressWarnings("restricted")
    private MemorySegment allocateDedicated(long byteSize, long byteAlignment) {
        long pageBytes = chunkPageBytes();
        long extra = byteAlignment > CHUNK_ALIGNMENT ? byteAlignment : 0;
        if (byteSize > Long.MAX_VALUE - extra - pageBytes) {
            throw new IllegalArgumentException("byteSize=" + byteSize + " with byteAlignment=" + byteAlignment
                    + " overflows a long when rounded up to pages of " + pageBytes + " bytes");
        }
        long pages = Math.max(1, Math.ceilDiv(byteSize + extra, pageBytes));
        Region region = heapAllocate(pages);
        dedicated.add(region);
        long offset = Math.floorMod(-region.address(), byteAlignment);
        // SAFETY: as in startChunk(): the region is deallocated only after the scope is closed.
        return region.segment().reinterpret(scope, null).asSlice(offset, byteSize);
    }

    private long chunkPageBytes() {
        return heap.arenaChunks.pageBytes();
    }

    private Region heapAllocate(long pages) {
        return heap.arenaChunks.allocateRegion(pages);
    }
}
