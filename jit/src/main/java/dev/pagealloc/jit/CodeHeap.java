package dev.pagealloc.jit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.pagealloc.api.Capabilities.WxStrategy;
import dev.pagealloc.api.KernelException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Many small functions in shared pages: chunks of {@link JitMemory.Builder#withHeapChunkBytes(long)}
 * bytes, each with a first-fit free list, so ten thousand stubs take a few chunks, not ten thousand
 * mappings. A request larger than a chunk gets a chunk of its own size.
 *
 * <h2>Sealing per strategy</h2>
 * <ul>
 *   <li>{@link WxStrategy#DUAL_MAPPING}: functions are packed at 16-byte alignment (x86-64 branch
 *       targets; arm64 needs 4). Sealing changes no protection at all: the chunk's executable view
 *       always was read-execute, its writable view always read-write, so sealing only closes the
 *       writable view and maintains the instruction cache.</li>
 *   <li>{@link WxStrategy#PROTECTION_FLIP}: sealing works per page, and a page can be writable or
 *       executable, not both: writing a new function into a page where another one runs would stop
 *       that one. So each function gets whole pages of its own (packed side by side in the chunk, where
 *       the kernel merges neighbours of equal protection into one mapping); small functions gain from
 *       the shared chunk, not from shared pages. Use dual mapping to pack them.</li>
 * </ul>
 * A freed function is overwritten with trap instructions ({@code int3}, 0xCC, on x86-64;
 * {@code brk #0} on arm64), so a stale call traps instead of running whatever is placed there next;
 * with a protection flip its pages are also made inaccessible. A chunk that empties is unmapped,
 * unless it is the heap's last.
 *
 * <p>Thread-safe: allocation and release are serialized on the heap; code runs from any thread.
 */
public final class CodeHeap implements AutoCloseable {
    /** Dual-mapped functions start at this alignment, in bytes. */
    static final long FUNCTION_ALIGNMENT_BYTES = 16;

    private final JitMemory memory;
    private final long chunkBytes;
    private final List<Chunk> chunks = new ArrayList<>();
    private final Map<CodePages, Chunk> chunkOf = new IdentityHashMap<>();
    private final Map<CodeBuffer, Boolean> live = new IdentityHashMap<>();
    private boolean closed;

    private record Chunk(CodePages pages, FreeList free) {}

    /**
     * An empty heap; maps its first chunk on the first allocation.
     *
     * @param memory the memory it takes pages from
     * @param chunkBytes the chunk size, in bytes; a multiple of the memory's mapping unit
     */
    CodeHeap(JitMemory memory, long chunkBytes) {
        this.memory = memory;
        this.chunkBytes = chunkBytes;
    }

    /**
     * {@return a writable function of at least {@code byteSize} bytes}, in a chunk that has room or in a
     * new chunk
     *
     * @param byteSize the code's length, in bytes; positive
     * @throws IllegalArgumentException if {@code byteSize <= 0}
     * @throws IllegalStateException if the heap is closed
     * @throws KernelException if a new chunk was needed and the kernel refused it; nothing changed
     * @throws dev.pagealloc.api.PageAllocatorException as the allocator refuses a new chunk's region
     *     (budget, mapping limit)
     */
    public CodeBuffer allocate(long byteSize) {
        if (byteSize <= 0) {
            throw new IllegalArgumentException("CodeHeap.allocate(byteSize=" + byteSize + "): must be positive");
        }
        CodeBuffer buffer;
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("CodeHeap.allocate(byteSize=" + byteSize + "): the heap is closed");
            }
            long alignment = alignmentBytes();
            long rounded = JitMemory.roundUp(byteSize, alignment);
            buffer = takeFromChunks(rounded, alignment);
            if (buffer == null) {
                long size = Math.max(chunkBytes, memory.roundToMapping(rounded));
                CodePages pages = memory.map("CodeHeap.allocate(byteSize=" + byteSize + ")", size);
                Chunk chunk = new Chunk(pages, new FreeList(size));
                chunks.add(chunk);
                chunkOf.put(pages, chunk);
                buffer = take(chunk, rounded, alignment);
            }
            live.put(buffer, Boolean.TRUE);
        }
        memory.counters().allocated(buffer.byteSize());
        return buffer;
    }

    /**
     * Allocates a function, copies {@code code} into it and seals it: the one-call way to run bytes.
     *
     * @param code the machine code; not empty
     * @return the sealed function
     * @throws IllegalArgumentException if {@code code} is empty
     * @throws NullPointerException if {@code code} is null
     * @throws IllegalStateException if the heap is closed
     * @throws KernelException if the kernel refuses a chunk or the seal; nothing is left allocated
     */
    public CodeBuffer install(byte[] code) {
        CodeBuffer buffer = allocate(code.length);
        try {
            return buffer.write(0, code).seal();
        } catch (RuntimeException e) {
            buffer.close();
            throw e;
        }
    }

    private CodeBuffer takeFromChunks(long rounded, long alignment) {
        for (Chunk chunk : chunks) {
            if (chunk.free().freeBytes() >= rounded) {
                CodeBuffer buffer = take(chunk, rounded, alignment);
                if (buffer != null) {
                    return buffer;
                }
            }
        }
        return null;
    }

    private CodeBuffer take(Chunk chunk, long rounded, long alignment) {
        long offset = chunk.free().take(rounded, alignment);
        if (offset < 0) {
            return null;
        }
        if (memory.strategy() == WxStrategy.PROTECTION_FLIP) {
            try {
                // Freed pages were made inaccessible; fresh ones are read-write already, and this is cheap then.
                chunk.pages().makeWritable(offset, rounded);
            } catch (RuntimeException e) {
                chunk.free().give(offset, rounded);
                throw e;
            }
        }
        return new CodeBuffer(memory, chunk.pages(), offset, rounded, this);
    }

    /** {@return the alignment of functions, in bytes} */
    long alignmentBytes() {
        return memory.strategy() == WxStrategy.DUAL_MAPPING ? FUNCTION_ALIGNMENT_BYTES : memory.granuleBytes();
    }

    /**
     * Frees a function of this heap: traps written over it, its pages made inaccessible where it owns
     * them, its bytes back in the free list. Called by {@link CodeBuffer#free()} under the buffer's lock.
     *
     * @param buffer the function
     */
    void release(CodeBuffer buffer) {
        CodePages pages = buffer.pages();
        long offset = buffer.byteOffset();
        long length = buffer.byteSize();
        boolean flip = memory.strategy() == WxStrategy.PROTECTION_FLIP;
        if (flip) {
            if (buffer.state() == CodeState.EXECUTABLE) {
                pages.makeWritable(offset, length);
            }
            fillWithTraps(buffer.writableAddress(), length);
            pages.makeInaccessible(offset, length);
        } else {
            fillWithTraps(buffer.writableAddress(), length);
            // Only the instruction cache changes: a thread that calls the stale address fetches the traps.
            pages.makeExecutable(offset, length);
        }
        Chunk empty = null;
        synchronized (this) {
            live.remove(buffer);
            Chunk chunk = chunkOf.get(pages);
            chunk.free().give(offset, length);
            if (chunk.free().isEmpty() && chunks.size() > 1) {
                chunks.remove(chunk);
                chunkOf.remove(pages);
                empty = chunk;
            }
        }
        if (empty != null) {
            empty.pages().release();
            memory.counters().unmapped(empty.pages().byteSize());
        }
    }

    @SuppressWarnings("restricted") // see the SAFETY line
    private void fillWithTraps(long writableAddress, long byteLength) {
        // SAFETY: the range is the freed function's own bytes in a writable view that its chunk keeps mapped
        // (made read-write just before for a flip); the caller holds the function's lock, so nothing else
        // writes there, and the segment is not kept.
        MemorySegment bytes = MemorySegment.ofAddress(writableAddress).reinterpret(byteLength);
        byte[] trap = memory.trapInstruction();
        if (trap.length == 1) {
            bytes.fill(trap[0]);
        } else {
            for (long at = 0; at + trap.length <= byteLength; at += trap.length) {
                MemorySegment.copy(trap, 0, bytes, JAVA_BYTE, at, trap.length);
            }
        }
    }

    /** {@return the chunks mapped now} */
    public synchronized int chunkCount() {
        return chunks.size();
    }

    /** {@return the bytes mapped for this heap's chunks now, in bytes; each counted once, not per view} */
    public synchronized long mappedBytes() {
        return chunks.stream().mapToLong(c -> c.pages().byteSize()).sum();
    }

    /**
     * Frees every live function of the heap (as {@link CodeBuffer#free()}: handles to them must not be
     * called any more) and unmaps its chunks. Idempotent.
     *
     * @throws KernelException if the kernel refuses to unmap a chunk; the others are unmapped all the same
     */
    @Override
    public void close() {
        List<CodeBuffer> buffers;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            buffers = new ArrayList<>(live.keySet());
        }
        for (CodeBuffer buffer : buffers) {
            buffer.close();
        }
        List<Chunk> remaining;
        synchronized (this) {
            remaining = new ArrayList<>(chunks);
            chunks.clear();
            chunkOf.clear();
        }
        KernelException first = null;
        for (Chunk chunk : remaining) {
            try {
                chunk.pages().release();
                memory.counters().unmapped(chunk.pages().byteSize());
            } catch (KernelException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
