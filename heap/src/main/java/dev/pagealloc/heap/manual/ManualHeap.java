package dev.pagealloc.heap.manual;

import dev.pagealloc.api.DeferredUnmap;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.ViewSharing;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A manual ("malloc and free") heap whose memory comes only from {@link Region}s of a
 * {@link PageAllocator}. Blocks up to {@value SizeClasses#MAX_SMALL_BYTES} bytes come from size
 * classes carved out of slabs (one region each, {@link #slabBytes()} bytes); larger blocks get a
 * region each, whole pages, reserved with room to grow in place.
 *
 * {@snippet :
 * PageAllocator pages = PageAllocator.builder().withViewSharing(ViewSharing.SHARED).build();
 * try (ManualHeap heap = ManualHeap.builder(pages).build()) {
 *     MemorySegment block = heap.allocate(100);         // 100 bytes, 16-byte aligned
 *     block = heap.reallocate(block, 112);               // in place: the same 112-byte class
 *     heap.free(block, 112);                             // Rayzor style: the size is checked
 * }
 * }
 *
 * <h2>Safety</h2>
 * Every block is a {@link MemorySegment} bounded to its requested size. Freed memory stays mapped
 * while a segment of it may be reachable: a slab's region is released only when none of its blocks
 * is live, and releasing it invalidates every segment of it (access then throws
 * {@link IllegalStateException}, see {@link Region#deallocate()}), so a stale segment reads old or
 * reused data of this heap but never crashes the JVM. Double frees, interior and foreign pointers
 * and a wrong size are refused from the heap's own metadata. With
 * {@linkplain Builder#withCheckedBlocks(boolean) checked blocks} each block has its own scope and
 * any use after free throws; with {@linkplain Builder#withPoisoning(boolean) poisoning} freed blocks
 * are filled and the fill is verified when the block is handed out again.
 *
 * <h2>Thread safety</h2>
 * Thread-safe. Each thread keeps a small cache of free blocks per size class, so most
 * allocations and frees take no lock; a block may be freed by any thread. Segments of unchecked
 * blocks may be used from any thread; checked blocks' segments are shared too. The cache of a
 * thread that has ended is retired when statistics are taken, on trims and when a new thread first
 * uses the heap: its blocks go back to their slabs and its counts into the heap's.
 *
 * <h2>Failure</h2>
 * Bad arguments throw {@link IllegalArgumentException} naming the argument and the limit before
 * anything changes; a refusal of the page allocator propagates (its
 * {@link dev.pagealloc.api.PageAllocatorException}) with the heap unchanged; a closed heap throws
 * {@link IllegalStateException}.
 */
public final class ManualHeap implements AutoCloseable {
    /** The largest alignment a block can ask for, in bytes. */
    public static final long MAXIMUM_ALIGNMENT = 1L << 20;
    /** How far a thread's live bytes may drift from the shared counter that tracks the peak, in bytes. */
    public static final long PEAK_BATCH_BYTES = 64 * 1024;
    private static final int RECENT_CACHES = 64;
    private static final int LAST_CACHE_SWITCHES = 64;
    /** The largest slab, in bytes: {@link Slab#slotOf} is exact below it. */
    private static final long MAXIMUM_SLAB_BYTES = 1L << 24;
    private static final byte POISON = (byte) 0xDB;
    private static final MemorySegment POISON_PATTERN;
    private static final VarHandle LIVE_BYTES;
    private static final VarHandle PEAK_BYTES;

    static {
        byte[] pattern = new byte[SizeClasses.MAX_SMALL_BYTES];
        java.util.Arrays.fill(pattern, POISON);
        POISON_PATTERN = MemorySegment.ofArray(pattern);
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            LIVE_BYTES = lookup.findVarHandle(ManualHeap.class, "liveBytes", long.class);
            PEAK_BYTES = lookup.findVarHandle(ManualHeap.class, "peakLiveBytes", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final PageAllocator allocator;
    private final long slabBytes;
    private final long slabPages;
    private final int slabShift;
    private final boolean checked;
    private final boolean poisoning;
    private final boolean threadCaches;
    private final long idleThresholdNanos;
    private final long maximumBlockBytes;
    /**
     * One more than the largest request the allocation fast path serves, in bytes: 0 in checked or
     * poisoning mode and once the heap is closed, so that one comparison sends every request of those
     * modes, and of a closed heap, to the slow path (which checks the closed flag). A plain field, read
     * plainly: see {@link #allocate(long, long, boolean)}.
     */
    private long fastLimit;
    /** How far a thread's unpublished live bytes may drift before they are published, in bytes. */
    private final long peakBatchBytes;
    /** {@code 2 * peakBatchBytes - 1}: see {@link ThreadCache#windowBytes}. */
    private final long peakWindow;
    private final SizeClass[] classes;
    /** Slabs by the slab-sized granule their base falls in (at most one base per granule). */
    private final SlabTable slabsByGranule;
    private final Map<Long, LargeBlock> largeBlocks = new ConcurrentHashMap<>();
    /** The caches of threads not yet seen ended; guarded by {@link #cachesLock}, as the retired sums are. */
    private final List<ThreadCache> caches = new ArrayList<>();
    private final ReentrantLock cachesLock = new ReentrantLock();
    /** Per size class, the allocations and frees counted by caches of threads that ended. */
    private final long[] retiredAllocations = new long[SizeClasses.count()];
    private final long[] retiredFrees = new long[SizeClasses.count()];
    /** The net live bytes of caches of threads that ended. */
    private long retiredLiveBytes;
    private final ThreadLocal<ThreadCache> cache = ThreadLocal.withInitial(this::newCache);
    /**
     * The caches of recent threads by thread id, tried before {@link #cache}: one array load and a
     * comparison with the current thread instead of a thread-local map lookup. A slot may hold
     * another thread's cache (ids collide); its owner check sends that thread to {@link #cache}.
     */
    private final ThreadCache[] recentCaches = new ThreadCache[RECENT_CACHES];
    /**
     * The cache the fast paths try first: one comparison of its owner with the current thread, two
     * dependent loads shorter than {@link #recentCaches} (measured: ~4 ns less per allocate+free pair,
     * 25 to 21 ns of CPU time). It follows the thread that last missed it, for the first
     * {@value #LAST_CACHE_SWITCHES} misses only: a heap one thread uses keeps it, and threads that share
     * a heap soon stop writing a field they all read (each miss then costs the comparison, and
     * {@link #recentCaches} serves). Starts as a cache no thread owns.
     */
    private ThreadCache lastCache;
    private int lastCacheSwitches;
    private final ReentrantLock trimLock = new ReentrantLock();
    final ArenaChunks arenaChunks;
    private volatile boolean closed;
    private volatile long lastTrimNanos = System.nanoTime();
    @SuppressWarnings("unused") // through LIVE_BYTES
    private volatile long liveBytes;
    @SuppressWarnings("unused") // through PEAK_BYTES
    private volatile long peakLiveBytes;
    private final Object largeLock = new Object();
    private long largeAllocations;
    private long largeFrees;
    private long largeLiveBlocks;

    private ManualHeap(Builder builder) {
        this.allocator = builder.allocator;
        this.slabPages = Math.max(1, builder.slabBytes / allocator.pageBytes());
        this.slabBytes = slabPages * allocator.pageBytes();
        this.slabShift = 63 - Long.numberOfLeadingZeros(slabBytes);
        this.slabsByGranule = new SlabTable(slabShift);
        this.checked = builder.checked;
        this.poisoning = builder.poisoning;
        this.threadCaches = builder.threadCaches;
        this.idleThresholdNanos = builder.idleThreshold.toNanos();
        this.maximumBlockBytes = builder.maximumBlockBytes;
        this.fastLimit = !checked && !poisoning ? Math.min(SizeClasses.MAX_SMALL_BYTES, maximumBlockBytes) + 1 : 0;
        this.peakBatchBytes = builder.exactPeak ? 1 : PEAK_BATCH_BYTES;
        this.peakWindow = 2 * peakBatchBytes - 1;
        this.classes = new SizeClass[SizeClasses.count()];
        for (int cls = 0; cls < classes.length; cls++) {
            classes[cls] = new SizeClass(cls);
        }
        this.arenaChunks = new ArenaChunks(allocator, builder.arenaChunkBytes);
        this.lastCache = new ThreadCache(false, false, null);
    }

    /**
     * {@return a builder for a heap over {@code allocator}}
     *
     * @param allocator the source of every page; its views must be {@link ViewSharing#SHARED}
     * @throws NullPointerException if {@code allocator} is null
     */
    public static Builder builder(PageAllocator allocator) {
        return new Builder(Objects.requireNonNull(allocator, "allocator"));
    }

    /** {@return the size of one slab, in bytes: whole allocator pages, a power of two} */
    public long slabBytes() {
        return slabBytes;
    }

    /** {@return the largest block this heap hands out, in bytes} */
    public long maximumBlockBytes() {
        return maximumBlockBytes;
    }

    /** {@return whether each block has its own scope, so that use after free throws} */
    public boolean checkedBlocks() {
        return checked;
    }

    /**
     * Same as {@link #allocate(long, long, boolean) allocate(byteSize, 16, false)}.
     *
     * @param byteSize the size, in bytes
     * @return the block
     * @throws IllegalArgumentException if {@code byteSize < 0} or {@code byteSize > maximumBlockBytes()}
     * @throws IllegalStateException if the heap is closed
     */
    public MemorySegment allocate(long byteSize) {
        return allocate(byteSize, SizeClasses.MIN_ALIGNMENT, false);
    }

    /**
     * Allocates a block. Its segment is {@code byteSize} bytes long, starts at a multiple of
     * {@code byteAlignment} and may be used from any thread until freed.
     *
     * @param byteSize the size, in bytes; {@code 0 <= byteSize <= maximumBlockBytes()}
     * @param byteAlignment the alignment, in bytes; a power of two, at most {@link #MAXIMUM_ALIGNMENT}
     * @param zero whether the block must read zero (otherwise its contents are unspecified)
     * @return the block
     * @throws IllegalArgumentException if {@code byteSize} is negative or over the limit, or
     *     {@code byteAlignment} is not a power of two or over the limit; nothing changes
     * @throws IllegalStateException if the heap is closed, or (poisoning) a freed block was written
     *     after it was freed: the message names it, and it is kept out of use
     * @throws dev.pagealloc.api.PageAllocatorException if the allocator refuses new pages; nothing changes
     */
    public MemorySegment allocate(long byteSize, long byteAlignment, boolean zero) {
        // The common case, kept small so that callers inline it whole (and the JIT may then keep the
        // returned segment in registers): a block from this thread's cache, no checking or poisoning.
        // The one segment is made at the end; the slow path only refills the cache, so no second
        // segment merges with it. Everything else (large blocks, modes, bad arguments) is allocateOther.
        // No closed check of its own: close() sets fastLimit to 0 first, so a close that happens-before
        // the call (JLS 17.4.5) sends it to allocateOther, which checks the flag. One racing with it may
        // be missed, as a plain read of the flag would miss it (a volatile read is a compiler barrier,
        // ~2 ns of a pair): the allocation then hands out a block of a slab that close() unmaps, whose
        // segment throws on access (the view is invalidated first, see Region#deallocate()); the next
        // refill reads the flag volatile.
        int cls = SizeClasses.ofValid(byteSize, byteAlignment, fastLimit);
        if (cls < 0) {
            return allocateOther(byteSize, byteAlignment, zero);
        }
        ThreadCache local = localCache();
        long[] counts = local.counts;
        long word = counts[cls];
        if ((int) word == 0) {
            refill(local, cls);
            word = counts[cls];
        }
        int index = cls * ThreadCache.STRIDE + (int) word - 1;
        Slab slab = local.slabs[index];
        int slot = local.slots[index];
        // The entry is left in place (not nulled): free's push then often finds the same slab there
        // and stores no reference, which would cost a GC write barrier (G1's post barrier has a
        // StoreLoad fence when the array and the slab sit in different regions).
        long offset = (long) slot * slab.blockBytes;
        if (zero) {
            // FREED needs zeroing; RETIRED means close() ran since fastLimit was read (a block in a cache outlives
            // its slab only then): reported, the block is not handed out and stays in the cache.
            zeroOrRefuse(slab, offset, byteSize, slab.statePlain(slot));
        }
        counts[cls] = word - 1;
        // This thread alone holds the block. A close() racing with it (since fastLimit was read) may unmap the
        // slab: the slice then belongs to an invalidated view and throws on access.
        slab.setStatePlain(slot, (int) byteSize + 1);
        if (local.lastSlab != slab) {
            local.lastSlab = slab;
        }
        local.countAllocation(cls);
        addLiveBytes(local, byteSize);
        return slab.view.asSlice(offset, byteSize);
    }

    private static void zeroOrRefuse(Slab slab, long offset, long byteSize, int state) {
        if (state == Slab.RETIRED) {
            throw closedException();
        }
        if (state == Slab.FREED) {
            slab.view.asSlice(offset, byteSize).fill((byte) 0);
        }
    }

    private MemorySegment allocateOther(long byteSize, long byteAlignment, boolean zero) {
        checkOpen();
        checkRequest(byteSize, byteAlignment);
        return allocateSlow(byteSize, byteAlignment, zero, SizeClasses.of(byteSize, byteAlignment));
    }

    private MemorySegment allocateSlow(long byteSize, long byteAlignment, boolean zero, int cls) {
        if (cls < 0) {
            return allocateLarge(byteSize, byteAlignment, zero);
        }
        ThreadCache local = localCache();
        while (true) {
            int count = local.count(cls);
            if (count == 0) {
                refill(local, cls);
                continue;
            }
            count--;
            local.setCount(cls, count);
            int index = cls * ThreadCache.STRIDE + count;
            Slab slab = local.slabs[index];
            local.slabs[index] = null;
            int slot = local.slots[index];
            int state = slab.state(slot);
            if (state == Slab.RETIRED) {
                local.countMoved(cls, -1);
                continue; // the slab was released while this block sat in the cache
            }
            Arena scope = null;
            if (checked) {
                // Published before the block goes live, so that close() sees the scope of every live block.
                scope = Arena.ofShared();
                slab.blockScopes[slot] = scope;
                if (!slab.compareAndSetState(slot, state, (int) byteSize + 1)) {
                    scope.close();
                    local.countMoved(cls, -1);
                    continue; // retired meanwhile by close()
                }
            } else {
                // This thread alone holds the block. A close() racing with it may unmap the slab: the
                // slice below then belongs to an invalidated view and throws on access.
                slab.setStateRelease(slot, (int) byteSize + 1);
            }
            long offset = (long) slot * slab.blockBytes;
            if (state == Slab.FREED && poisoning) {
                long mismatch = slab.view.asSlice(offset, slab.blockBytes)
                        .mismatch(POISON_PATTERN.asSlice(0, slab.blockBytes));
                if (mismatch >= 0) {
                    local.countMoved(cls, -1); // kept live and out of use, never counted as allocated
                    throw new IllegalStateException("heap corruption: the freed block at 0x"
                            + Long.toHexString(slab.base + offset) + " (" + slab.blockBytes
                            + " bytes) was written after it was freed, first at byte offset " + mismatch);
                }
            }
            MemorySegment block = slab.view.asSlice(offset, byteSize);
            if (zero && state == Slab.FREED) {
                block.fill((byte) 0);
            }
            local.countAllocation(cls);
            addLiveBytes(local, byteSize);
            if (checked) {
                block = scoped(block, scope);
            }
            return block;
        }
    }

    /**
     * Allocates a zeroed array of {@code count} elements of {@code elementBytes} each, aligned to the
     * largest power of two dividing {@code elementBytes}, at most 16 bytes (as {@code calloc}).
     *
     * @param elementBytes the size of one element, in bytes; {@code > 0}
     * @param count the number of elements; {@code >= 0}
     * @return the block, {@code elementBytes * count} bytes
     * @throws IllegalArgumentException if an argument is out of range or the product overflows
     *     {@code long} or passes {@link #maximumBlockBytes()}
     * @throws IllegalStateException if the heap is closed
     * @throws dev.pagealloc.api.PageAllocatorException if the allocator refuses new pages
     */
    public MemorySegment allocateArray(long elementBytes, long count) {
        if (elementBytes <= 0) {
            throw new IllegalArgumentException("elementBytes=" + elementBytes + " must be > 0");
        }
        if (count < 0) {
            throw new IllegalArgumentException("count=" + count + " must be >= 0");
        }
        long byteSize;
        try {
            byteSize = Math.multiplyExact(elementBytes, count);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("elementBytes=" + elementBytes + " * count=" + count
                    + " overflows a long; the limit is maximumBlockBytes=" + maximumBlockBytes, e);
        }
        long alignment = Math.min(Long.lowestOneBit(elementBytes), SizeClasses.MIN_ALIGNMENT);
        return allocate(byteSize, alignment, true);
    }

    /**
     * Allocates {@code text} as UTF-8 followed by one NUL byte, as C expects a string.
     *
     * @param text the string
     * @return the block: the encoded bytes and the terminator
     * @throws NullPointerException if {@code text} is null
     * @throws IllegalArgumentException if the encoding is longer than {@link #maximumBlockBytes()}
     * @throws IllegalStateException if the heap is closed
     * @throws dev.pagealloc.api.PageAllocatorException if the allocator refuses new pages
     */
    public MemorySegment allocateString(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        MemorySegment block = allocate(bytes.length + 1L, 1, false);
        MemorySegment.copy(bytes, 0, block, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, bytes.length);
        block.set(java.lang.foreign.ValueLayout.JAVA_BYTE, bytes.length, (byte) 0);
        return block;
    }

    /**
     * Frees a block (Aria's style: the heap knows its size).
     *
     * @param block a segment starting at a live block of this heap, as returned by an allocation
     * @throws NullPointerException if {@code block} is null
     * @throws IllegalArgumentException if no live block of this heap starts at the segment's address:
     *     freed already (double free), inside a block, or not from this heap; nothing changes
     * @throws IllegalStateException if the heap is closed, or (checked mode) a JDK call in another
     *     thread holds the block's segment; nothing changes
     */
    public void free(MemorySegment block) {
        free(block, -1);
    }

    /**
     * Frees a block whose size the caller passes (Rayzor's style); a size that is not the block's
     * is refused.
     *
     * @param block a segment starting at a live block of this heap
     * @param byteSize the size it was allocated (or last reallocated) with, in bytes
     * @throws NullPointerException if {@code block} is null
     * @throws IllegalArgumentException if no live block starts at the address (double free, interior
     *     or foreign pointer), or {@code byteSize} is not the block's size; nothing changes
     * @throws IllegalStateException if the heap is closed, or (checked mode) a JDK call in another
     *     thread holds the block's segment; nothing changes
     */
    public void free(MemorySegment block, long byteSize) {
        // The common case, small enough to inline: a live small block, freed once, no checking or
        // poisoning. Anything else (including every error) takes freeSlow, which checks afresh.
        // No closed check here: once close() has returned, the slab table is empty, so the free finds
        // no slab and freeSlow reports the closed heap (a free racing with close may succeed: the
        // block goes to this thread's cache, whose next allocation checks the flag).
        long address = block.address();
        ThreadCache local = localCache();
        Slab slab = local.lastSlab;
        if (!slab.contains(address)) {
            slab = slabsByGranule.findRacy(address);
            if (slab == null) {
                freeSlow(address, byteSize);
                return;
            }
        }
        long offset = address - slab.base;
        int slot = slab.slotOf(offset);
        // The count word and the state are read before the compare-and-set, the push's arrays after it.
        // Measured (CPU time of a pair on an AMD EPYC, Zen 4, 13 ns): reading the arrays before it, or a plain
        // store in its place, made the pair 18 ns; keep this order.
        int cls = slab.cls;
        long[] counts = local.counts;
        long word = counts[cls];
        int count = (int) word;
        int state = slab.statePlainOrTail(slot); // RETIRED for the slab's tail, past its last block
        if (offset != (long) slot * slab.blockBytes || state <= 0 || byteSize >= 0 && byteSize != state - 1L
                || count >= (int) (word >>> 32) || !slab.compareAndSetState(slot, state, Slab.FREED)) {
            // Every error, a full cache (flushed under the class's lock), and checked or poisoning mode
            // (whose fast limit is 0).
            freeSlow(address, byteSize);
            return;
        }
        int index = cls * ThreadCache.STRIDE + count;
        Slab[] slabs = local.slabs;
        if (slabs[index] != slab) { // usually the same slab as the block last popped there: no barrier
            slabs[index] = slab;
        }
        local.slots[index] = slot;
        counts[cls] = word + 1; // counts the free too (ThreadCache.frees)
        addLiveBytes(local, 1L - state);
    }

    /** Frees by address alone, so that the caller's segment does not escape into this out-of-line call. */
    private void freeSlow(long address, long byteSize) {
        checkOpen();
        Slab slab = slabAt(address);
        if (slab == null) {
            freeLarge(address, byteSize);
            return;
        }
        long offset = address - slab.base;
        int slot = slab.slotOf(offset);
        long into = offset - (long) slot * slab.blockBytes;
        if (slot >= slab.capacity) {
            throw new IllegalArgumentException("not the start of a block: address 0x" + Long.toHexString(address)
                    + " is in the unused tail of a slab of " + slab.blockBytes + "-byte blocks");
        }
        if (into != 0) {
            throw new IllegalArgumentException("not the start of a block: address 0x" + Long.toHexString(address)
                    + " is " + into + " bytes into a " + slab.blockBytes + "-byte block");
        }
        int state = slab.state(slot);
        if (state <= 0) {
            throw new IllegalArgumentException("double free: the block at 0x" + Long.toHexString(address)
                    + " is not live (freed already)");
        }
        long size = state - 1L;
        if (byteSize >= 0 && byteSize != size) {
            throw new IllegalArgumentException("wrong size: the block at 0x" + Long.toHexString(address)
                    + " has byteSize=" + size + ", free was passed byteSize=" + byteSize);
        }
        if (checked) {
            Arena scope = slab.blockScopes[slot];
            try {
                scope.close();
            } catch (IllegalStateException e) {
                if (!scope.scope().isAlive()) {
                    throw new IllegalArgumentException("double free: the block at 0x"
                            + Long.toHexString(address) + " was freed meanwhile by another thread", e);
                }
                throw e;
            }
        }
        if (!slab.compareAndSetState(slot, state, Slab.FREED)) {
            throw new IllegalArgumentException("double free: the block at 0x" + Long.toHexString(address)
                    + " was freed meanwhile by another thread");
        }
        if (poisoning) {
            slab.view.asSlice(offset, slab.blockBytes).fill(POISON);
        }
        ThreadCache local = localCache();
        addLiveBytes(local, -size);
        int cls = slab.cls;
        if (local.count(cls) == local.limit(cls)) {
            flush(local, cls, Math.max(1, local.count(cls) / 2));
        }
        int count = local.count(cls);
        int index = cls * ThreadCache.STRIDE + count;
        local.slabs[index] = slab;
        local.slots[index] = slot;
        local.setCount(cls, count + 1);
    }

    /**
     * Resizes a block, in place when it can: a small block whose class holds the new size, a large
     * block whose pages (or reserved pages, committed now) hold it. Otherwise allocates a new block
     * with the old one's alignment (the largest power of two dividing its address, at most 4 KiB),
     * copies the common prefix, and frees the old block.
     *
     * @param block a segment starting at a live block of this heap
     * @param newByteSize the new size, in bytes; {@code 0 <= newByteSize <= maximumBlockBytes()}
     * @return the block: the same address when resized in place
     * @throws IllegalArgumentException if {@code newByteSize} is out of range, or no live block starts
     *     at the address; nothing changes
     * @throws IllegalStateException if the heap is closed
     * @throws dev.pagealloc.api.PageAllocatorException if the allocator refuses pages; the old block is
     *     left as it was
     */
    public MemorySegment reallocate(MemorySegment block, long newByteSize) {
        checkOpen();
        checkRequest(newByteSize, 1);
        long address = block.address();
        Slab slab = slabAt(address);
        long oldSize;
        MemorySegment source;
        if (slab != null) {
            long offset = address - slab.base;
            int slot = slab.slotOf(offset);
            int state = slot < slab.capacity && offset == (long) slot * slab.blockBytes ? slab.state(slot) : 0;
            if (state <= 0) {
                free(block); // throws the precise error
                throw new AssertionError();
            }
            oldSize = state - 1L;
            source = slab.view.asSlice(offset, oldSize);
            if (newByteSize <= slab.blockBytes) {
                if (!slab.compareAndSetState(slot, state, (int) newByteSize + 1)) {
                    throw new IllegalArgumentException("double free: the block at 0x"
                            + Long.toHexString(address) + " was freed by another thread during reallocate");
                }
                addLiveBytes(localCache(), newByteSize - oldSize);
                MemorySegment resized = slab.view.asSlice(offset, newByteSize);
                return checked ? scopedAgain(slab, slot, resized) : resized;
            }
        } else {
            LargeBlock large = largeBlocks.get(address);
            if (large == null) {
                free(block); // throws the precise error
                throw new AssertionError();
            }
            synchronized (large) {
                oldSize = large.byteSize;
                source = large.block();
                if (large.tryResize(newByteSize)) {
                    addLiveBytes(localCache(), newByteSize - oldSize);
                    return large.handedOut();
                }
            }
        }
        long alignment = Math.min(Long.lowestOneBit(address), 4096);
        MemorySegment moved = allocate(newByteSize, alignment, false);
        MemorySegment.copy(source, 0, moved, 0, Math.min(oldSize, newByteSize));
        free(block, oldSize);
        return moved;
    }

    /**
     * Returns to the allocator the slabs that have held no live block for the idle threshold, and
     * the arena chunks kept for reuse. First gives the calling thread's cached free blocks back to
     * their slabs, and retires the caches of threads that have ended (their blocks go back too); a
     * slab with a free block in a live thread's cache is kept until that thread's cache overflows, it
     * calls {@code trim()} or it ends. Also runs by itself (without the calling thread's flush) from
     * allocation slow paths, at most once per threshold.
     *
     * @return the number of bytes returned
     * @throws IllegalStateException if the heap is closed
     */
    public long trim() {
        checkOpen();
        ThreadCache local = localCache();
        for (int cls = 0; cls < classes.length; cls++) {
            if (local.count(cls) > 0) {
                flush(local, cls, local.count(cls)); // this thread's free blocks back to their slabs
            }
        }
        retireEndedCachesNow();
        trimLock.lock();
        try {
            return trimLocked(System.nanoTime());
        } finally {
            trimLock.unlock();
        }
    }

    /**
     * {@return exact statistics: live, peak and total figures, each size class's, and the thread caches
     * held} First retires the caches of threads that have ended (their blocks go back to their slabs).
     * Each thread counts its own allocations and frees with plain stores (no fence on the fast paths),
     * so the figures are exact for every operation that happens-before this call (JLS 17.4.5: done by
     * this thread, or by a thread that has ended, was joined, or handed its work over through a lock or
     * a concurrent collection); operations racing with it may be partly counted, as in
     * {@link java.util.concurrent.atomic.LongAdder#sum()}.
     */
    public HeapStatistics statistics() {
        List<SizeClassStatistics> perClass = new ArrayList<>(classes.length);
        long liveBlocks = 0;
        long allocations = 0;
        long frees = 0;
        long reserved = 0;
        long live;
        int cacheCount;
        cachesLock.lock();
        try {
            retireEndedCaches();
            cacheCount = caches.size();
            live = retiredLiveBytes;
            for (ThreadCache each : caches) {
                live += each.liveBytes();
            }
            for (SizeClass sizeClass : classes) {
                long classAllocations = retiredAllocations[sizeClass.cls];
                long classFrees = retiredFrees[sizeClass.cls];
                for (ThreadCache each : caches) {
                    classAllocations += each.allocations(sizeClass.cls);
                    classFrees += each.frees(sizeClass.cls);
                }
                int slabs;
                sizeClass.lock.lock();
                try {
                    slabs = sizeClass.slabs.size();
                } finally {
                    sizeClass.lock.unlock();
                }
                perClass.add(new SizeClassStatistics(SizeClasses.bytes(sizeClass.cls),
                        classAllocations - classFrees, classAllocations, slabs));
                liveBlocks += classAllocations - classFrees;
                allocations += classAllocations;
                frees += classFrees;
                reserved += slabs * slabBytes;
            }
        } finally {
            cachesLock.unlock();
        }
        synchronized (largeLock) {
            liveBlocks += largeLiveBlocks;
            allocations += largeAllocations;
            frees += largeFrees;
        }
        for (LargeBlock large : largeBlocks.values()) {
            reserved += large.region.byteSize();
        }
        long peak = Math.max((long) PEAK_BYTES.getVolatile(this), live);
        return new HeapStatistics(live, liveBlocks, peak, allocations, frees, reserved, List.copyOf(perClass),
                cacheCount);
    }

    /**
     * {@return a new arena: bump allocation in page chunks, freed all at once by its close}
     * The arena belongs to the calling thread (see {@link HeapArena}), and takes its first chunk at once.
     *
     * @throws IllegalStateException if the heap is closed
     * @throws dev.pagealloc.api.PageAllocatorException if the allocator refuses the first chunk; nothing
     *     changes
     */
    public HeapArena newArena() {
        checkOpen();
        return new HeapArena(this, null);
    }

    /**
     * Releases every page of the heap: slabs, large blocks and kept arena chunks. Every segment the
     * heap handed out is then invalid (access throws {@link IllegalStateException}); in checked mode
     * a slab or large block one of whose blocks a JDK call in another thread holds (an NIO transfer, a
     * downcall) is left mapped rather than unmapped under that call: its pages are dropped at once (they
     * read zero) and it is unmapped once no segment of those blocks is reachable ({@link DeferredUnmap}).
     * Other threads may still be allocating and freeing: that stays memory-safe and leaves no page
     * mapped (a racing allocation throws {@link IllegalStateException} or returns a segment whose
     * access throws it; a racing free may be refused with {@link IllegalArgumentException} or
     * {@link IllegalStateException}; a large block mapped during the close is unmapped by its
     * allocating thread). Arenas still open must be
     * closed by their owners first; their chunks go back to the allocator on their close. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        fastLimit = 0; // before the volatile write: whoever sees closed also sees this
        closed = true;
        for (SizeClass sizeClass : classes) {
            sizeClass.lock.lock();
            try {
                for (Slab slab : sizeClass.slabs) {
                    slab.retired = true;
                    if (retireForClose(slab)) {
                        slab.region.deallocate();
                    }
                }
                sizeClass.slabs.clear();
                sizeClass.partial.clear();
            } finally {
                sizeClass.lock.unlock();
            }
        }
        slabsByGranule.clear();
        for (LargeBlock large : largeBlocks.values()) {
            if (largeBlocks.remove(large.address(), large) && closeScope(large)) { // a racing free may take it first
                large.region.deallocate();
            }
        }
        arenaChunks.close();
    }

    /** {@return whether the large block's region may be unmapped: its scope, if checked, is closed now} */
    private static boolean closeScope(LargeBlock large) {
        if (large.scope == null) {
            return true;
        }
        try {
            large.scope.close();
            return true;
        } catch (IllegalStateException e) {
            // Closed already by a racing free (which then unmaps nothing), or held by a JDK call in another
            // thread: then the region stays mapped until the scope is unreachable, as a slab's does.
            if (!large.scope.scope().isAlive()) {
                return true;
            }
            releaseWhenUnreachable(DeferredUnmap.of(large.region), List.of(large.scope.scope()));
            return false;
        }
    }

    /**
     * For a region that segments of {@code heldScopes} still reach (a JDK call in another thread refused their
     * close): drops its pages now and unmaps it once none of those scopes is reachable, so that no access
     * through them faults meanwhile.
     */
    private static void releaseWhenUnreachable(DeferredUnmap lifetime, List<MemorySegment.Scope> heldScopes) {
        for (MemorySegment.Scope scope : heldScopes) {
            lifetime.unmapWhenUnreachable(scope);
        }
        try {
            lifetime.release();
        } catch (RuntimeException e) {
            // The kernel kept the pages: they hold the old bytes until the unmap. close() has no caller that
            // could do better, and nothing else depends on the discard.
        }
    }

    /**
     * Makes every slot of {@code slab} unusable: free ones retired (an allocation racing with close
     * then fails its compare-and-set), live checked ones' scopes closed.
     *
     * @return whether the region may be unmapped: false if a JDK call in another thread holds a
     *     checked block's segment (the slab's pages are then dropped, and it is unmapped once the scopes of
     *     such blocks are unreachable)
     */
    private boolean retireForClose(Slab slab) {
        List<MemorySegment.Scope> held = new ArrayList<>(0);
        for (int slot = 0; slot < slab.capacity; slot++) {
            while (true) {
                int state = slab.state(slot);
                if (state > 0) {
                    if (checked) {
                        try {
                            slab.blockScopes[slot].close();
                        } catch (IllegalStateException e) {
                            if (slab.blockScopes[slot].scope().isAlive()) {
                                held.add(slab.blockScopes[slot].scope());
                            }
                        }
                    }
                    break;
                }
                if (state == Slab.RETIRED || slab.compareAndSetState(slot, state, Slab.RETIRED)) {
                    break;
                }
            }
        }
        if (held.isEmpty()) {
            return true;
        }
        releaseWhenUnreachable(DeferredUnmap.of(slab.region), held);
        return false;
    }

    void checkOpen() {
        if (closed) {
            throw closedException();
        }
    }

    private static IllegalStateException closedException() {
        return new IllegalStateException("the heap is closed");
    }

    private void checkRequest(long byteSize, long byteAlignment) {
        if (byteSize < 0 || byteSize > maximumBlockBytes || byteAlignment <= 0
                || (byteAlignment & (byteAlignment - 1)) != 0 || byteAlignment > MAXIMUM_ALIGNMENT) {
            throw badRequest(byteSize, byteAlignment);
        }
    }

    private IllegalArgumentException badRequest(long byteSize, long byteAlignment) {
        if (byteSize < 0 || byteSize > maximumBlockBytes) {
            return new IllegalArgumentException("byteSize=" + byteSize + " is out of range: 0 <= byteSize <= "
                    + "maximumBlockBytes=" + maximumBlockBytes);
        }
        return new IllegalArgumentException("byteAlignment=" + byteAlignment + " must be a power of two"
                + " at most MAXIMUM_ALIGNMENT=" + MAXIMUM_ALIGNMENT);
    }

    private ThreadCache localCache() {
        ThreadCache last = lastCache;
        if (last.owner == Thread.currentThread()) {
            return last;
        }
        return recentCache();
    }

    private ThreadCache recentCache() {
        Thread current = Thread.currentThread();
        int index = (int) current.threadId() & (RECENT_CACHES - 1);
        ThreadCache recent = recentCaches[index];
        if (recent == null || recent.owner != current) {
            recent = cache.get();
            recentCaches[index] = recent; // a racy publication is harmless: the owner field is final
        }
        if (lastCacheSwitches < LAST_CACHE_SWITCHES) {
            lastCacheSwitches++; // racy: a lost count only delays the stop
            lastCache = recent; // racy as recentCaches: the owner field is final
        }
        return recent;
    }

    private ThreadCache newCache() {
        ThreadCache created = new ThreadCache(threadCaches, !checked && !poisoning, Thread.currentThread());
        created.windowCentre = peakBatchBytes - 1;
        created.windowBytes = created.windowCentre;
        cachesLock.lock();
        try {
            retireEndedCaches(); // a stream of short-lived threads keeps the list as long as the live ones
            caches.add(created);
        } finally {
            cachesLock.unlock();
        }
        return created;
    }

    /**
     * Retires the caches of threads that have ended: their counters go into the retired sums, their
     * free blocks back to their slabs (so the slabs can be trimmed), and they leave the list. Reading
     * a dead owner's plain fields is safe: "the final action in a thread T1 synchronizes-with any action
     * in another thread T2 that detects that T1 has terminated", by {@link Thread#isAlive()} among
     * others (JLS 17.4.4), so every write the owner made happens-before this. Caller holds
     * {@link #cachesLock}.
     *
     * @return the number of caches retired
     */
    private int retireEndedCaches() {
        int retired = 0;
        for (var it = caches.iterator(); it.hasNext(); ) {
            ThreadCache each = it.next();
            if (each.owner.isAlive()) {
                continue;
            }
            for (int cls = 0; cls < classes.length; cls++) {
                if (each.count(cls) > 0) {
                    flush(each, cls, each.count(cls));
                }
                retiredAllocations[cls] += each.allocations(cls);
                retiredFrees[cls] += each.frees(cls);
            }
            retiredLiveBytes += each.liveBytes();
            long pending = each.windowBytes - each.windowCentre;
            if (pending != 0) {
                publish(pending); // the counter that tracks the peak becomes exact
                each.publishedBytes += pending;
                each.windowBytes = each.windowCentre;
            }
            int index = (int) each.owner.threadId() & (RECENT_CACHES - 1);
            if (recentCaches[index] == each) {
                recentCaches[index] = null; // racy but harmless: a live thread finds its own cache again
            }
            if (lastCache == each) {
                lastCache = new ThreadCache(false, false, null); // no thread matches it, as the ended one
            }
            it.remove();
            retired++;
        }
        return retired;
    }

    /**
     * Counts a change of live bytes in the thread's own counter, and in the shared one that tracks the
     * peak once the thread's unpublished change reaches {@value #PEAK_BATCH_BYTES} bytes either way (at
     * once with an exact peak): one atomic add per batch, not per block.
     */
    private void addLiveBytes(ThreadCache local, long delta) {
        long window = local.windowBytes + delta;
        if (Long.compareUnsigned(window, peakWindow) >= 0) { // |unpublished| >= batch
            long pending = window - local.windowCentre;
            publish(pending);
            local.publishedBytes += pending;
            window = local.windowCentre;
        }
        local.windowBytes = window;
    }

    private void publish(long pending) {
        long live = (long) LIVE_BYTES.getAndAdd(this, pending) + pending;
        long peak = (long) PEAK_BYTES.getOpaque(this);
        while (live > peak && !PEAK_BYTES.weakCompareAndSet(this, peak, live)) {
            peak = (long) PEAK_BYTES.getOpaque(this);
        }
    }

    private Slab slabAt(long address) {
        return slabsByGranule.find(address);
    }

    @SuppressWarnings("restricted")
    private static MemorySegment scoped(MemorySegment block, Arena scope) {
        // SAFETY: block is a live slice of the slab's region view. The region stays mapped while the
        // scope is open: trim retires a slab only when no block is live (each free closes its scope
        // first), and close() closes the scope of every live block before unmapping, keeping mapped a
        // slab whose scope a JDK call still holds. The new segment has the slice's exact bounds.
        return block.reinterpret(scope, null);
    }

    @SuppressWarnings("restricted")
    private static MemorySegment scopedAgain(Slab slab, int slot, MemorySegment resized) {
        // SAFETY: as in scoped(): the block is live and within its slab, and its scope is closed on free.
        return resized.reinterpret(slab.blockScopes[slot], null);
    }

    /** Fills the thread's empty cache of class {@code cls} with half its limit of blocks, at least one. */
    private void refill(ThreadCache local, int cls) {
        checkOpen();
        maybeTrim();
        SizeClass sizeClass = classes[cls];
        int wanted = Math.max(1, local.limit(cls) / 2);
        int row = cls * ThreadCache.STRIDE;
        int got = 0;
        sizeClass.lock.lock();
        try {
            while (got < wanted && !sizeClass.partial.isEmpty()) {
                Slab slab = sizeClass.partial.peekFirst();
                while (got < wanted && slab.freeCount > 0) {
                    local.slabs[row + got] = slab;
                    local.slots[row + got] = slab.freeStack[--slab.freeCount];
                    got++;
                }
                if (slab.freeCount == 0) {
                    sizeClass.partial.pollFirst();
                    slab.inPartialList = false;
                }
            }
            while (got < wanted) {
                Slab slab = sizeClass.fresh;
                if (slab == null || slab.retired || slab.nextFresh == slab.capacity) {
                    checkOpen();
                    Region region = allocator.allocate(slabPages, slabPages);
                    try {
                        slab = new Slab(region, cls, checked);
                    } catch (RuntimeException | Error e) {
                        region.deallocate();
                        throw e;
                    }
                    sizeClass.slabs.add(slab);
                    slabsByGranule.add(slab);
                    sizeClass.fresh = slab;
                }
                while (got < wanted && slab.nextFresh < slab.capacity) {
                    local.slabs[row + got] = slab;
                    local.slots[row + got] = slab.nextFresh++;
                    got++;
                }
            }
        } finally {
            local.setCount(cls, got); // the count was 0
            local.countMoved(cls, got);
            sizeClass.lock.unlock();
        }
    }

    private void flush(ThreadCache local, int cls, int howMany) {
        SizeClass sizeClass = classes[cls];
        sizeClass.lock.lock();
        try {
            for (int i = 0; i < howMany; i++) {
                int count = local.count(cls) - 1;
                local.setCount(cls, count);
                local.countMoved(cls, -1);
                int index = cls * ThreadCache.STRIDE + count;
                Slab slab = local.slabs[index];
                local.slabs[index] = null;
                if (slab.retired) {
                    continue;
                }
                slab.freeStack[slab.freeCount++] = local.slots[index];
                if (!slab.inPartialList) {
                    slab.inPartialList = true;
                    sizeClass.partial.addLast(slab);
                }
            }
        } finally {
            sizeClass.lock.unlock();
        }
    }

    private void retireEndedCachesNow() {
        cachesLock.lock();
        try {
            retireEndedCaches();
        } finally {
            cachesLock.unlock();
        }
    }

    private void maybeTrim() {
        long now = System.nanoTime();
        if (now - lastTrimNanos >= Math.max(idleThresholdNanos, 1_000_000) && trimLock.tryLock()) {
            try {
                if (cachesLock.tryLock()) {
                    try {
                        retireEndedCaches();
                    } finally {
                        cachesLock.unlock();
                    }
                }
                trimLocked(now);
            } finally {
                trimLock.unlock();
            }
        }
    }

    private long trimLocked(long now) {
        lastTrimNanos = now;
        List<Slab> released = new ArrayList<>();
        for (SizeClass sizeClass : classes) {
            sizeClass.lock.lock();
            try {
                for (var it = sizeClass.slabs.iterator(); it.hasNext(); ) {
                    Slab slab = it.next();
                    if (slab.freeCount != slab.nextFresh) { // a block is live or in a thread's cache
                        slab.emptySinceNanos = Long.MIN_VALUE;
                        continue;
                    }
                    if (slab.emptySinceNanos == Long.MIN_VALUE) {
                        slab.emptySinceNanos = now;
                    }
                    if (now - slab.emptySinceNanos >= idleThresholdNanos) {
                        slab.retired = true;
                        it.remove();
                        if (slab.inPartialList) {
                            sizeClass.partial.remove(slab);
                        }
                        if (sizeClass.fresh == slab) {
                            sizeClass.fresh = null;
                        }
                        slabsByGranule.remove(slab);
                        released.add(slab);
                    }
                }
            } finally {
                sizeClass.lock.unlock();
            }
        }
        long bytes = 0;
        for (Slab slab : released) {
            // No block is live and none can be handed out (all are in the slab's own free stack, which
            // is gone): releasing the region invalidates only stale segments of freed blocks.
            slab.region.deallocate();
            bytes += slab.byteSize;
        }
        return bytes + arenaChunks.releaseKept();
    }

    private MemorySegment allocateLarge(long byteSize, long byteAlignment, boolean zero) {
        long pageBytes = allocator.pageBytes();
        long extra = byteAlignment > 4096 ? byteAlignment : 0;
        long pages = Math.max(1, Math.ceilDiv(byteSize + extra, pageBytes));
        long reserve = pages <= Long.MAX_VALUE / 2 / pageBytes ? pages * 2 : pages;
        Region region = allocator.allocate(pages, reserve);
        LargeBlock large;
        try {
            long offset = Math.floorMod(-region.address(), Math.max(byteAlignment, 1));
            large = new LargeBlock(region, offset, byteSize, checked ? Arena.ofShared() : null);
        } catch (RuntimeException | Error e) {
            region.deallocate();
            throw e;
        }
        largeBlocks.put(large.address(), large);
        if (closed) {
            // close() ran meanwhile and may have missed the entry: whoever removes it unmaps it. The
            // volatile write of closed before close()'s sweep and this read after the put order the two
            // (Dekker-style), so at least one side sees the other and the region is never left mapped.
            if (largeBlocks.remove(large.address(), large)) {
                large.region.deallocate();
            }
            throw closedException();
        }
        synchronized (largeLock) {
            largeAllocations++;
            largeLiveBlocks++;
        }
        addLiveBytes(localCache(), byteSize);
        return large.handedOut(); // fresh pages read zero, so zero needs nothing
    }

    private void freeLarge(long address, long byteSize) {
        LargeBlock large = largeBlocks.get(address);
        if (large == null) {
            throw new IllegalArgumentException("no live block of this heap starts at 0x" + Long.toHexString(address)
                    + ": freed already (double free), inside a block, or not from this heap (foreign pointer)");
        }
        synchronized (large) {
            if (byteSize >= 0 && byteSize != large.byteSize) {
                throw new IllegalArgumentException("wrong size: the block at 0x" + Long.toHexString(address)
                        + " has byteSize=" + large.byteSize + ", free was passed byteSize=" + byteSize);
            }
            if (large.scope != null) {
                // Checked mode: the stale segment must throw. Closing throws, changing nothing, if a JDK call
                // in another thread holds the segment; it is closed only once (frees of it are serialized).
                large.scope.close();
            }
            if (!largeBlocks.remove(address, large)) {
                throw new IllegalArgumentException("double free: the block at 0x" + Long.toHexString(address)
                        + " was freed meanwhile by another thread");
            }
            large.region.deallocate();
        }
        synchronized (largeLock) {
            largeFrees++;
            largeLiveBlocks--;
        }
        addLiveBytes(localCache(), -large.byteSize);
    }

    /** One size class: its slabs, those with freed blocks, and the one fresh blocks come from. */
    private static final class SizeClass {
        final int cls;
        final ReentrantLock lock = new ReentrantLock();
        final List<Slab> slabs = new ArrayList<>();
        final ArrayDeque<Slab> partial = new ArrayDeque<>();
        Slab fresh;

        SizeClass(int cls) {
            this.cls = cls;
        }
    }

    /** Configuration of a {@link ManualHeap}. Not thread-safe. */
    public static final class Builder {
        private final PageAllocator allocator;
        private long slabBytes = 64 * 1024;
        private boolean checked;
        private boolean poisoning;
        private boolean threadCaches = true;
        private boolean exactPeak;
        private Duration idleThreshold = Duration.ofSeconds(1);
        private long maximumBlockBytes = 1L << 36;
        private long arenaChunkBytes = 256 * 1024;

        private Builder(PageAllocator allocator) {
            this.allocator = allocator;
        }

        /**
         * Gives each block its own scope, closed when it is freed, so that any access through a stale
         * segment throws {@link IllegalStateException}. Costs one shared arena per block (see the
         * benchmarks). Off by default. The scopes are attached with {@link MemorySegment#reinterpret(Arena,
         * java.util.function.Consumer)}, a restricted method, on the heap's own memory: give this module
         * native access ({@code --enable-native-access=dev.pagealloc.heap}) to run without the JDK's warning.
         *
         * @param enabled whether blocks are checked
         * @return this builder
         */
        public Builder withCheckedBlocks(boolean enabled) {
            this.checked = enabled;
            return this;
        }

        /**
         * Fills freed small blocks with {@code 0xDB} and verifies the fill when the block is handed out
         * again, so a write after free is reported. Off by default.
         *
         * @param enabled whether freed blocks are poisoned
         * @return this builder
         */
        public Builder withPoisoning(boolean enabled) {
            this.poisoning = enabled;
            return this;
        }

        /**
         * Keeps free blocks per thread (on by default), so that most allocations and frees take no
         * lock; off, every allocation and free takes its size class's lock (for measuring what the
         * caches save, or to keep no free block out of other threads' reach).
         *
         * @param enabled whether threads cache free blocks
         * @return this builder
         */
        public Builder withThreadCaches(boolean enabled) {
            this.threadCaches = enabled;
            return this;
        }

        /**
         * Makes {@link HeapStatistics#peakLiveBytes()} exact by adding every change to one shared
         * counter (an atomic add per allocation and free). Off by default: each thread then adds its
         * changes in batches of up to {@value ManualHeap#PEAK_BATCH_BYTES} bytes, and the peak may miss
         * the true one by less than that per thread. Live bytes and counts are exact either way.
         *
         * @param enabled whether the peak is exact
         * @return this builder
         */
        public Builder withExactPeak(boolean enabled) {
            this.exactPeak = enabled;
            return this;
        }

        /**
         * Sets how long a slab must hold no live block before {@link ManualHeap#trim()} returns its
         * pages to the allocator.
         *
         * @param threshold the idle time; {@link Duration#ZERO} returns empty slabs at the next trim
         * @return this builder
         * @throws NullPointerException if {@code threshold} is null
         * @throws IllegalArgumentException if {@code threshold} is negative
         */
        public Builder withIdleThreshold(Duration threshold) {
            if (threshold.isNegative()) {
                throw new IllegalArgumentException("threshold=" + threshold + " must not be negative");
            }
            this.idleThreshold = threshold;
            return this;
        }

        /**
         * Sets the largest block, in bytes (default 64 GiB).
         *
         * @param byteSize the limit; {@code > 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code byteSize <= 0}
         */
        public Builder withMaximumBlockBytes(long byteSize) {
            if (byteSize <= 0) {
                throw new IllegalArgumentException("maximumBlockBytes=" + byteSize + " must be > 0");
            }
            this.maximumBlockBytes = byteSize;
            return this;
        }

        /**
         * {@return the heap}
         *
         * @throws IllegalArgumentException if the allocator's views are not {@link ViewSharing#SHARED}
         *     (blocks are used from every thread), or its page size is not a power of two of at most 16 MiB
         */
        public ManualHeap build() {
            if (allocator.config().viewSharing() != ViewSharing.SHARED) {
                throw new IllegalArgumentException("allocator: a ManualHeap needs viewSharing=SHARED (its blocks"
                        + " are used from every thread); got viewSharing=" + allocator.config().viewSharing());
            }
            if (Long.bitCount(allocator.pageBytes()) != 1 || allocator.pageBytes() > MAXIMUM_SLAB_BYTES) {
                throw new IllegalArgumentException("allocator: pageBytes=" + allocator.pageBytes()
                        + " must be a power of two at most " + MAXIMUM_SLAB_BYTES + " (a slab is one page or more)");
            }
            return new ManualHeap(this);
        }
    }
}
