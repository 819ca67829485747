package dev.pagealloc.wasm;

import dev.pagealloc.api.PageAllocatorException;
import dev.pagealloc.api.Region;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;

/**
 * Pre-reserved slots for linear memories, as wasmtime's pooling allocator lays them out
 * ({@code crates/wasmtime/src/runtime/vm/instance/allocator/pooling/memory_pool.rs}): one reservation of
 * {@code guard, slot 0, guard, slot 1, guard, ..., slot n-1, guard}, every guard shared by the slots on
 * either side. Acquiring a memory commits its minimum in place; releasing it never unmaps: its slot is reset
 * by zeroing the bytes kept resident and decommitting the rest ({@code mprotect(PROT_NONE)} and
 * {@code madvise(MADV_DONTNEED)}), or discarding back to its copy-on-write image.
 *
 * {@snippet :
 * try (MemoryPool pool = MemoryPool.builder().withSlots(100).withSlotBytes(1L << 32).build();
 *      LinearMemory memory = pool.acquire(MemoryType.i32(1, 16))) {
 *     memory.grow(1);
 * }
 * }
 *
 * <h2>Released memories and their views</h2>
 * Views are bounded segments of a shared arena, so any thread may use a memory and any thread may release
 * it. After release, {@link LinearMemory#segment()} throws {@link IllegalStateException}; a view taken before
 * still reaches only its own slot, which goes to no one else until that view is dead. Killing views means
 * closing their arena, a handshake with every Java thread, so acquisitions are grouped into <em>generations</em>
 * of {@link Builder#withViewBatch(int)} memories sharing one arena: when a full generation's memories are all
 * released, its arena is closed (every stale view then throws), its slots are reset and only then go back to
 * the free list. A memory that lives long keeps its generation's other slots from reuse until it is released:
 * size the pool, or the batch, for that.
 *
 * <h2>Limits</h2>
 * Slot count, bytes per memory ({@link Builder#withSlotBytes(long)}: a type may declare more, and growth past
 * the slot returns -1) and total committed bytes ({@link Builder#withMaximumCommittedBytes(long)}). A pool
 * that cannot serve an acquisition throws {@link MemoryPoolExhaustedException} and changes nothing.
 *
 * <p>Thread-safe: acquisitions, growth and releases are serialized on the pool. The pool's module needs
 * native access: it makes views over its slots with {@link MemorySegment#reinterpret}.
 */
public final class MemoryPool implements AutoCloseable {
    private static final long UNIT_BYTES = 64 << 10;

    private final Region region;
    private final int slotCount;
    private final long slotBytes;
    private final long strideBytes;
    private final long maximumCommittedBytes;
    private final long keepResidentBytes;
    private final int viewBatch;
    private final long granuleBytes;

    private final ArrayDeque<PoolSlot> free = new ArrayDeque<>();
    /** Generations that are sealed, or current, and not yet retired. */
    private final List<PoolGeneration> generations = new ArrayList<>();
    private PoolGeneration current;
    private long committedBytes;
    private int live;
    private boolean closed;

    private MemoryPool(Builder builder) {
        this.slotCount = builder.slots;
        this.slotBytes = builder.slotBytes;
        this.strideBytes = builder.slotBytes + builder.guardBytes;
        this.maximumCommittedBytes = builder.maximumCommittedBytes;
        this.viewBatch = builder.viewBatch > 0 ? builder.viewBatch : Math.max(1, Math.min(64, builder.slots / 8));
        long totalBytes = Math.multiplyExact(strideBytes, (long) builder.slots);
        long totalPages = totalBytes / UNIT_BYTES;
        // The region's own guard before is the first slot's; each slot's stride ends in the guard after it.
        Region reserved = Allocators.forPages(UNIT_BYTES, builder.guardBytes, 0).allocate(0, totalPages);
        try {
            // Region commits a prefix; the pool needs any slot's prefix. Grow to the whole reservation, then
            // decommit it: two calls, no page touched. Linux charges a writable private mapping to the
            // overcommit accounting when mprotect makes it writable, unless the mapping is VM_NORESERVE
            // (mm/mprotect.c mprotect_fixup: "charged = nrpages" only when the old flags hold none of
            // VM_ACCOUNT|VM_WRITE|VM_HUGETLB|VM_SHARED|VM_NORESERVE); reservations are MAP_NORESERVE, which the
            // kernel honours except under vm.overcommit_memory=2 (mm/mmap.c do_mmap sets VM_NORESERVE only
            // "if (sysctl_overcommit_memory != OVERCOMMIT_NEVER)"). There, or past RLIMIT_DATA (may_expand_vm,
            // called by mprotect_fixup), this grow is refused with ENOMEM.
            reserved.grow(totalPages);
            reserved.decommit(0, totalBytes);
        } catch (RuntimeException | Error e) {
            reserved.deallocate();
            throw e;
        }
        this.region = reserved;
        this.granuleBytes = reserved.protectionGranuleBytes();
        this.keepResidentBytes = builder.keepResidentBytes / granuleBytes * granuleBytes;
        for (int i = 0; i < slotCount; i++) {
            free.add(new PoolSlot(i, i * strideBytes));
        }
    }

    /**
     * {@return a builder: 16 slots of 4 GiB with 2 GiB guards, no committed-bytes limit, 64 KiB (one WebAssembly
     * page) kept resident per slot}
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Acquires a memory of {@code type}, its minimum committed and reading zero.
     *
     * @param type the type; its minimum must fit a slot, its maximum may pass it (growth then stops at the slot)
     * @return the memory; close it to give the slot back
     * @throws NullPointerException if {@code type} is null
     * @throws IllegalArgumentException if the minimum passes {@link #slotBytes()}
     * @throws MemoryPoolExhaustedException if no slot is free or the committed-bytes limit would be passed;
     *     nothing changed
     * @throws IllegalStateException if the pool is closed
     * @throws PageAllocatorException if the kernel refuses to commit the pages; nothing changed
     */
    public LinearMemory acquire(MemoryType type) {
        return acquire(type, null);
    }

    /**
     * Acquires a memory of {@code type} holding {@code image}'s bytes, mapped copy-on-write where the platform
     * can ({@link MemoryImage#isCopyOnWrite()}), else copied. A slot that held the same image is reused
     * without mapping it again.
     *
     * @param type the type; its minimum must fit a slot and hold the image
     * @param image the initial contents, or null for none
     * @return the memory; close it to give the slot back
     * @throws NullPointerException if {@code type} is null
     * @throws IllegalArgumentException if the minimum passes {@link #slotBytes()}, or the image passes the
     *     minimum
     * @throws MemoryPoolExhaustedException if no slot is free or the committed-bytes limit would be passed;
     *     nothing changed
     * @throws IllegalStateException if the pool or the image is closed
     * @throws PageAllocatorException if the kernel refuses to commit the pages or map the image; the slot is
     *     given back, reset
     */
    public LinearMemory acquire(MemoryType type, MemoryImage image) {
        Objects.requireNonNull(type, "acquire(type=null): the type must not be null");
        String operation = "acquire(type=" + type + ")";
        if (type.minimumBytes() > slotBytes) {
            throw new IllegalArgumentException(operation + ": minimumBytes=" + type.minimumBytes()
                    + " passes the pool's slotBytes=" + slotBytes);
        }
        if (image != null) {
            image.requireFits(type.minimumBytes(), "acquire");
        }
        long targetBytes = roundUp(type.minimumBytes());
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException(operation + ": the pool is closed");
            }
            PoolSlot slot = takeSlot(operation, targetBytes);
            try {
                return new LinearMemory(type, fill(slot, type, image, targetBytes, operation));
            } catch (RuntimeException | Error e) {
                giveBack(slot);
                throw e;
            }
        }
    }

    /** Takes a free slot that can reach {@code targetBytes} within the committed-bytes limit, or throws. */
    private PoolSlot takeSlot(String operation, long targetBytes) {
        if (free.isEmpty() && current != null && !current.members.isEmpty() && current.allReleased()) {
            current.sealed = true; // everything it holds is released: retire it now rather than refuse
            current = null;
        }
        if (free.isEmpty()) {
            retireReady();
        }
        PoolSlot slot = free.peekFirst();
        if (slot == null) {
            throw new MemoryPoolExhaustedException(operation + ": all " + slotCount + " slots are taken (" + live
                    + " live memories, " + (slotCount - live) + " released but waiting for their generation's"
                    + " views to be retired; viewBatch=" + viewBatch + ")");
        }
        long added = Math.max(0, targetBytes - slot.accessibleBytes);
        if (added > maximumCommittedBytes - committedBytes) {
            throw new MemoryPoolExhaustedException(operation + ": committing " + added + " bytes would pass"
                    + " maximumCommittedBytes=" + maximumCommittedBytes + " (committedBytes=" + committedBytes + ")");
        }
        return free.pollFirst();
    }

    @SuppressWarnings("restricted") // see the SAFETY line
    private PoolStorage fill(PoolSlot slot, MemoryType type, MemoryImage image, long targetBytes, String operation) {
        long address = region.address() + slot.byteOffset;
        MemoryImage mapped = image != null && image.isCopyOnWrite() ? image : null;
        if (slot.image != mapped && slot.image != null) {
            committedBytes += slot.dropImage(region, operation);
        }
        committedBytes += slot.resize(region, targetBytes);
        if (mapped != null && slot.image != mapped) {
            image.applyTo(address, null, operation);
            slot.image = mapped;
        }
        if (current == null) {
            current = new PoolGeneration();
            generations.add(current);
        }
        PoolGeneration generation = current;
        // SAFETY: [address, + minimumBytes) lies in the slot's committed read-write prefix; the view dies with
        // the generation's arena, which is closed before the slot is reset, given to anyone else or unmapped.
        MemorySegment view = MemorySegment.ofAddress(address).reinterpret(type.minimumBytes(), generation.arena, null);
        if (image != null && mapped == null) {
            image.applyTo(address, view, operation);
        }
        long limitPages = Math.min(type.hasMaximum() ? type.maximumPages() : Long.MAX_VALUE,
                slotBytes / type.pageBytes());
        PoolStorage storage = new PoolStorage(this, slot, generation, type.pageBytes(), limitPages, view);
        generation.slots.add(slot);
        generation.members.add(storage);
        if (generation.members.size() >= viewBatch) {
            generation.sealed = true;
            current = null;
        }
        live++;
        return storage;
    }

    /** Puts a slot whose acquisition failed back, reset, at the front of the free list. */
    private void giveBack(PoolSlot slot) {
        try {
            committedBytes += slot.reset(region, keepResidentBytes);
        } finally {
            free.addFirst(slot);
        }
    }

    @SuppressWarnings("restricted") // see the SAFETY line
    synchronized long grow(PoolStorage storage, long deltaPages) {
        if (storage.released()) {
            throw new IllegalStateException("grow(deltaPages=" + Long.toUnsignedString(deltaPages)
                    + "): the memory was released to its pool");
        }
        long oldPages = storage.pages();
        if (deltaPages < 0 || deltaPages > storage.limitPages() - oldPages) {
            return -1; // unsigned: a negative delta is past 2^63 pages
        }
        if (deltaPages == 0) {
            return oldPages;
        }
        long newBytes = (oldPages + deltaPages) * storage.pageBytes(); // <= slotBytes: no overflow
        PoolSlot slot = storage.slot;
        long targetBytes = roundUp(newBytes);
        if (targetBytes > slot.accessibleBytes) {
            long added = targetBytes - slot.accessibleBytes;
            if (added > maximumCommittedBytes - committedBytes) {
                return -1;
            }
            try {
                committedBytes += slot.resize(region, targetBytes);
            } catch (PageAllocatorException refused) {
                return -1; // the region left the slot as it was
            }
        }
        // SAFETY: [slot, + newBytes) is committed read-write; the view dies with the generation's arena, closed
        // before the slot is reset or unmapped.
        storage.publish(MemorySegment.ofAddress(region.address() + slot.byteOffset)
                .reinterpret(newBytes, storage.generation.arena, null));
        return oldPages;
    }

    synchronized void release(PoolStorage storage) {
        if (!storage.markReleased()) {
            return;
        }
        live--;
        PoolGeneration generation = storage.generation;
        generation.released++;
        if (generation.sealed && generation.allReleased()) {
            retireReady();
        }
    }

    /** Closes the arenas of sealed generations whose memories are all released, and frees their slots. */
    private void retireReady() {
        for (Iterator<PoolGeneration> it = generations.iterator(); it.hasNext();) {
            PoolGeneration generation = it.next();
            if (!generation.sealed || !generation.allReleased()) {
                continue;
            }
            try {
                generation.arena.close();
            } catch (IllegalStateException heldByJdkCall) {
                continue; // a JDK call (NIO transfer, downcall) still holds a view: retried at the next release
            }
            it.remove();
            for (PoolSlot slot : generation.slots) {
                committedBytes += slot.reset(region, keepResidentBytes);
                free.addLast(slot);
            }
        }
    }

    /** {@return the slot count} */
    public int slots() {
        return slotCount;
    }

    /** {@return the most bytes one memory reaches: the slot size, in bytes} */
    public long slotBytes() {
        return slotBytes;
    }

    /** {@return the slots ready to be acquired now} */
    public synchronized int freeSlots() {
        return free.size();
    }

    /** {@return the memories acquired and not released} */
    public synchronized int liveMemories() {
        return live;
    }

    /** {@return the bytes committed in all slots, kept-resident ones included, in bytes} */
    public synchronized long committedBytes() {
        return committedBytes;
    }

    /** {@return the pool's reservation, for tests of the kernel's view} */
    Region region() {
        return region;
    }

    /**
     * Releases every memory still acquired, kills all views of the pool (closing the generations' arenas),
     * and unmaps the reservation. Idempotent.
     *
     * @throws IllegalStateException if a JDK call (an NIO transfer, a downcall) still holds a view; the pool is
     *     then closed to acquisitions but keeps its reservation: call again once the call returned
     * @throws PageAllocatorException if the kernel refuses to unmap
     */
    @Override
    public synchronized void close() {
        closed = true;
        for (Iterator<PoolGeneration> it = generations.iterator(); it.hasNext();) {
            PoolGeneration generation = it.next();
            for (PoolStorage storage : generation.members) {
                if (storage.markReleased()) {
                    live--;
                }
            }
            generation.arena.close();
            it.remove();
        }
        current = null;
        if (region.isAlive()) {
            region.deallocate();
        }
    }

    private long roundUp(long bytes) {
        return (bytes + granuleBytes - 1) / granuleBytes * granuleBytes;
    }

    /**
     * Configures a {@link MemoryPool}; checked at {@link #build()}. Not thread-safe.
     */
    public static final class Builder {
        private int slots = 16;
        private long slotBytes = 1L << 32;
        private long guardBytes = 2L << 30;
        private long maximumCommittedBytes = Long.MAX_VALUE;
        private long keepResidentBytes = 64 << 10;
        private int viewBatch;

        private Builder() {}

        /**
         * Sets the number of slots, all reserved when the pool is built.
         *
         * @param count the slot count; {@code >= 1}
         * @return this builder
         */
        public Builder withSlots(int count) {
            this.slots = count;
            return this;
        }

        /**
         * Sets the size of each slot: the most bytes one memory reaches.
         *
         * @param bytes the largest memory a slot holds, in bytes; a positive multiple of 65536
         * @return this builder
         */
        public Builder withSlotBytes(long bytes) {
            this.slotBytes = bytes;
            return this;
        }

        /**
         * Sets the inaccessible guard after each slot, which is also the next slot's guard before.
         *
         * @param bytes the guard between neighbouring slots (and before the first), in bytes; a non-negative
         *     multiple of 65536
         * @return this builder
         */
        public Builder withGuardBytes(long bytes) {
            this.guardBytes = bytes;
            return this;
        }

        /**
         * Limits the bytes committed in all slots together; acquisitions and growth past it are refused.
         *
         * @param bytes the most bytes committed in all slots at once, in bytes; {@code >= 0}
         * @return this builder
         */
        public Builder withMaximumCommittedBytes(long bytes) {
            this.maximumCommittedBytes = bytes;
            return this;
        }

        /**
         * Sets how much of a slot stays committed when it is reset for its next owner.
         *
         * @param bytes the bytes at a slot's start kept committed across owners, zeroed in place rather than
         *     given back (no system call and no page fault for the next owner of a memory that small, at the
         *     price of that much resident memory per idle slot), in bytes; {@code >= 0}, rounded down to the
         *     system page; 65536 (one WebAssembly page) by default
         * @return this builder
         */
        public Builder withKeepResidentBytes(long bytes) {
            this.keepResidentBytes = bytes;
            return this;
        }

        /**
         * Sets how many acquisitions share one arena of views, closed once for all of them.
         *
         * @param memories the acquisitions sharing one view arena, whose close is paid once per batch (see
         *     the class comment); {@code >= 1}; by default {@code slots / 8} within {@code [1, 64]}
         * @return this builder
         */
        public Builder withViewBatch(int memories) {
            this.viewBatch = memories;
            return this;
        }

        /**
         * {@return the pool, its whole reservation made}
         *
         * @throws IllegalArgumentException if a setting is out of range (the message names it) or the
         *     reservation's size overflows a {@code long}
         * @throws PageAllocatorException if the kernel refuses the reservation, or to make it writable once
         *     (the pool commits nothing, but on Linux under {@code vm.overcommit_memory=2}, or with an
         *     {@code RLIMIT_DATA} below the pool's size, making the reservation writable is charged in full and
         *     refused with {@code ENOMEM}); nothing stays reserved
         */
        public MemoryPool build() {
            String pool = "MemoryPool.build(slots=" + slots + ", slotBytes=" + slotBytes + ", guardBytes=" + guardBytes
                    + ", maximumCommittedBytes=" + maximumCommittedBytes + ", keepResidentBytes=" + keepResidentBytes
                    + ", viewBatch=" + viewBatch + ")";
            if (slots < 1) {
                throw new IllegalArgumentException(pool + ": slots must be >= 1");
            }
            if (slotBytes <= 0 || slotBytes % UNIT_BYTES != 0) {
                throw new IllegalArgumentException(pool + ": slotBytes must be a positive multiple of 65536");
            }
            if (guardBytes < 0 || guardBytes % UNIT_BYTES != 0) {
                throw new IllegalArgumentException(pool + ": guardBytes must be a non-negative multiple of 65536");
            }
            if (maximumCommittedBytes < 0) {
                throw new IllegalArgumentException(pool + ": maximumCommittedBytes must be >= 0");
            }
            if (keepResidentBytes < 0 || keepResidentBytes > slotBytes) {
                throw new IllegalArgumentException(pool + ": keepResidentBytes must be within [0, slotBytes]");
            }
            if (viewBatch < 0) {
                throw new IllegalArgumentException(pool + ": viewBatch must be >= 1 (0: the default)");
            }
            try {
                Math.multiplyExact(slotBytes + guardBytes, (long) slots);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException(pool + ": (slotBytes + guardBytes) * slots overflows a long", e);
            }
            return new MemoryPool(this);
        }
    }
}
