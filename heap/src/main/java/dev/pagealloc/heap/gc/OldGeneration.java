package dev.pagealloc.heap.gc;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The old generation: one reserved region of blocks, each block cut into cells of one size class.
 * A free cell has header 0 and holds the next free cell's address in its first payload word; each
 * size class has a list of blocks with free cells. Blocks are committed as the generation grows. A block
 * left empty by a sweep is decommitted (its memory goes back to the kernel) until reused, unless the sweep
 * keeps it committed as a spare (see {@link #sweep(boolean)}).
 * The card table (a region of one byte per 512-byte card) records old-generation slots that may hold
 * a reference into the nursery.
 *
 * <p>Not thread-safe: the heap's lock guards it.
 */
final class OldGeneration {

    static final int CARD_SHIFT = 9;
    /** {@link #blockClass} of a block never committed, or decommitted. */
    private static final int NO_CLASS = -1;
    /** {@link #blockClass} of a block committed with another (so reading zero) and not used yet. */
    private static final int RESERVED = -2;
    /**
     * {@link #blockClass} of a block a sweep emptied and kept committed: its pages stay resident, so taking it
     * again costs one fill with zeros instead of a fault per page (promotion into spares took 0.4 to 0.9 ms less
     * per MiB than into decommitted blocks, GcCpuTimes).
     */
    private static final int SPARE = -3;
    /**
     * Blocks committed (grown or recommitted) per system call when promotion needs one: the others wait as
     * {@link #RESERVED}, so that a minor collection promoting megabytes makes a quarter of the calls.
     */
    static final int COMMIT_BLOCKS = 4;
    static final long CARD_BYTES = 1L << CARD_SHIFT;

    final Region region;
    final Region cardRegion;
    final MemorySegment cards;
    final long base;
    final long blockBytes;
    final int maxBlocks;
    /** log2 of {@link #blockBytes}, a power of two (a power-of-two page size, or 64 KiB). */
    private final int blockShift;
    /** Whether {@link #blockBytes} fits in an int, so cell offsets divide in 32 bits. */
    private final boolean intBlocks;
    /** The card table's address (byte 0 is the first block's first card). */
    private final long cardsAddress;
    final long[] cellClasses;
    private final MemorySegment[] blockMemory;
    private final int[] blockClass;        // NO_CLASS, RESERVED, or the size class of a block in use
    private final int[] liveCells;
    private final long[] freeHead;          // per block, 0 when full
    private final int[][] classBlocks;      // per class, blocks with a free cell (a stack)
    private final int[] classBlockCount;
    // Per class, the never-used rest of the block it took last: [bumpCursor, bumpLimit) is handed out by
    // bumping, without a free list (a new block reads zero, so its unused cells already have header 0).
    private final long[] bumpCursor;
    private final long[] bumpLimit;
    private int committedBlocks;            // blocks [0, committedBlocks) have been committed once
    private int decommittedBlocks;
    /** Blocks in the {@link #SPARE} state. */
    private int spareBlocks;
    private long usedBytes;
    /** A checked heap's object tags, or null; set once by the heap after construction. */
    ObjectTags tags;

    OldGeneration(PageAllocator allocator, long limitBytes, long blockBytes, long largestCellBytes) {
        this.blockBytes = blockBytes;
        this.maxBlocks = (int) (limitBytes / blockBytes);
        this.blockShift = Long.numberOfTrailingZeros(blockBytes);
        this.intBlocks = blockBytes <= Integer.MAX_VALUE;
        long pages = limitBytes / allocator.pageBytes();
        this.region = allocator.allocate(0, pages);
        this.base = region.address();
        long cardBytes = Math.max(1, limitBytes >>> CARD_SHIFT);
        long cardPages = Math.ceilDiv(cardBytes, allocator.pageBytes());
        Region cardsMade;
        try {
            cardsMade = allocator.allocate(cardPages, cardPages);
        } catch (RuntimeException e) {
            region.deallocate();
            throw e;
        }
        this.cardRegion = cardsMade;
        this.cards = cardRegion.segment(0, cardBytes);
        this.cardsAddress = cardRegion.address();
        this.cellClasses = sizeClasses(largestCellBytes);
        this.blockMemory = new MemorySegment[maxBlocks];
        this.blockClass = new int[maxBlocks];
        java.util.Arrays.fill(blockClass, NO_CLASS);
        this.liveCells = new int[maxBlocks];
        this.freeHead = new long[maxBlocks];
        this.classBlocks = new int[cellClasses.length][maxBlocks];
        this.classBlockCount = new int[cellClasses.length];
        this.bumpCursor = new long[cellClasses.length];
        this.bumpLimit = new long[cellClasses.length];
    }

    /** Cell sizes 16, 24, 32, 48, 64, 96, ... (two per power of two, multiples of 8) up to {@code largest}. */
    static long[] sizeClasses(long largest) {
        java.util.List<Long> sizes = new java.util.ArrayList<>();
        for (long power = 16; ; power *= 2) {
            for (long size : new long[] {power, power + power / 2}) {
                sizes.add(Math.min(size, largest));
                if (size >= largest) {
                    return sizes.stream().distinct().mapToLong(Long::longValue).toArray();
                }
            }
        }
    }

    int classOf(long objectBytes) {
        for (int c = 0; c < cellClasses.length; c++) {
            if (cellClasses[c] >= objectBytes) {
                return c;
            }
        }
        throw new IllegalArgumentException("no size class holds " + objectBytes + " bytes");
    }

    boolean contains(long address) {
        return address >= base && address < base + (long) committedBlocks * blockBytes;
    }

    /** {@return whether {@code address} is the payload address of a live cell} */
    boolean isObjectStart(long address) {
        if (!contains(address) || (address & 7) != 0) {
            return false;
        }
        int block = (int) ((address - base) / blockBytes);
        int cls = blockClass[block];
        if (cls < 0) {
            return false;
        }
        long cellOffset = address - Header.BYTES - (base + block * blockBytes);
        if (cellOffset < 0 || cellRemainder(cellOffset, cls) != 0 || cellOffset + cellClasses[cls] > blockBytes) {
            return false;
        }
        // Committed (the block has a class): read through the constant segment, see AddressSpace.
        return AddressSpace.ALL.get(AddressSpace.WORD, address - Header.BYTES) != 0;
    }

    /**
     * {@return the header address of a free cell of {@code objectBytes} or more, or -1 if the limit
     * leaves no block for it}; the cell's words are not cleared (the caller writes all of them)
     */
    long allocate(long objectBytes) {
        int cls = classOf(objectBytes);
        long cellBytes = cellClasses[cls];
        long cell;
        int block;
        if (classBlockCount[cls] > 0) {
            // Cells a sweep freed first, so that partly used blocks fill up before new ones are taken.
            block = classBlocks[cls][classBlockCount[cls] - 1];
            cell = freeHead[block];
            freeHead[block] = getLong(cell + Header.BYTES);
            if (freeHead[block] == 0) {
                classBlockCount[cls]--;
            }
        } else {
            if (bumpCursor[cls] + cellBytes > bumpLimit[cls] && !addBlock(cls)) {
                return -1;
            }
            cell = bumpCursor[cls];
            bumpCursor[cls] = cell + cellBytes;
            block = (int) ((cell - base) >>> blockShift);
        }
        liveCells[block]++;
        usedBytes += cellBytes;
        return cell;
    }

    private boolean addBlock(int cls) {
        int block = -1;
        for (int i = 0; i < committedBlocks && block < 0; i++) {
            if (blockClass[i] == RESERVED) {
                block = i; // committed with an earlier one and never used: no system call
            }
        }
        boolean spare = false;
        for (int i = 0; i < committedBlocks && block < 0; i++) {
            if (blockClass[i] == SPARE) {
                spareBlocks--;
                spare = true;
                block = i;
            }
        }
        for (int i = 0; i < committedBlocks && block < 0; i++) {
            if (blockClass[i] == NO_CLASS) {
                // A run of decommitted blocks, up to COMMIT_BLOCKS, in one call; the others are reserved.
                int run = 1;
                while (run < COMMIT_BLOCKS && i + run < committedBlocks && blockClass[i + run] == NO_CLASS) {
                    run++;
                }
                region.recommit(i * blockBytes, run * blockBytes);
                decommittedBlocks -= run;
                reserve(i + 1, run - 1);
                block = i;
            }
        }
        if (block >= 0) {
            // Recommit takes no access away, so the other blocks' views stay valid (Region: "Operations
            // that take no access away (grow, a widening protect, discard, recommit)"): one new view.
            blockMemory[block] = region.segment(block * blockBytes, blockBytes);
            if (spare) {
                // Resident with a dead block's bytes: zeroed, to read as a grown or recommitted block reads.
                blockMemory[block].fill((byte) 0);
            }
        } else if (committedBlocks < maxBlocks) {
            block = committedBlocks;
            int count = Math.min(COMMIT_BLOCKS, maxBlocks - committedBlocks);
            if (tags != null) {
                // The blocks' tag memory first: if it cannot be had, nothing was grown.
                tags.prepare(base + committedBlocks * blockBytes, count * blockBytes);
            }
            region.grow(count * blockBytes / region.pageBytes());
            committedBlocks += count;
            reserve(block + 1, count - 1);
            blockMemory[block] = region.segment(block * blockBytes, blockBytes);
        } else {
            return false;
        }
        blockClass[block] = cls;
        liveCells[block] = 0;
        // Grown pages read zero, and so do recommitted ones (Region.decommit: contents are gone and read
        // zero after recommit), so every cell's header is 0 (free) already: no free list to thread.
        long cellBytes = cellClasses[cls];
        long blockBase = base + block * blockBytes;
        freeHead[block] = 0;
        bumpCursor[cls] = blockBase;
        bumpLimit[cls] = blockBase + blockBytes / cellBytes * cellBytes;
        return true;
    }

    /** Marks {@code count} blocks from {@code first}, just committed, as reserved: committed, unused, zero. */
    private void reserve(int first, int count) {
        for (int b = first; b < first + count; b++) {
            blockClass[b] = RESERVED;
            blockMemory[b] = null;
        }
    }

    private void refreshViews() {
        // Decommit takes access away, which invalidates the region's views: ask again for each live block.
        for (int i = 0; i < committedBlocks; i++) {
            blockMemory[i] = blockClass[i] < 0 ? null : region.segment(i * blockBytes, blockBytes);
        }
    }

    /** Visits the header address of every allocated cell. */
    interface CellVisitor {
        void visit(long headerAddress);
    }

    void forEachCell(CellVisitor visitor) {
        for (int b = 0; b < committedBlocks; b++) {
            int cls = blockClass[b];
            if (cls < 0) {
                continue;
            }
            long cellBytes = cellClasses[cls];
            long blockBase = base + b * blockBytes;
            for (long cell = blockBase; cell + cellBytes <= blockBase + blockBytes; cell += cellBytes) {
                if (getLong(cell) != 0) {
                    visitor.visit(cell);
                }
            }
        }
    }

    /**
     * Sweeps: frees every allocated cell whose header has no mark, clears the marks of the others,
     * rebuilds the free lists, and decommits the blocks left empty (those committed and never used too),
     * except, with {@code keepSpares}, as many as the generation may fill before the next major collection
     * ({@link CollectionCycle#majorTrigger}'s use less the use left now): those stay committed as spares,
     * taken before any decommitted block, since the generation would otherwise commit as many again (a fault
     * per page) before the next sweep could give them back.
     *
     * @param keepSpares whether to keep spares; false gives every empty block back to the kernel
     * @return the bytes of the objects freed (header and payload, as allocated)
     */
    long sweep(boolean keepSpares) {
        long freed = 0;
        long freedObjectBytes = 0;
        int[] empty = new int[committedBlocks];
        int emptyCount = 0;
        java.util.Arrays.fill(classBlockCount, 0);
        // The walk threads every free cell, the never-used ones of the bump blocks too.
        java.util.Arrays.fill(bumpCursor, 0);
        java.util.Arrays.fill(bumpLimit, 0);
        for (int b = 0; b < committedBlocks; b++) {
            int cls = blockClass[b];
            if (cls == RESERVED || cls == SPARE) {
                empty[emptyCount++] = b; // empty blocks go back to the kernel (or are spares), these ones too
                continue;
            }
            if (cls < 0) {
                continue;
            }
            long cellBytes = cellClasses[cls];
            long blockBase = base + b * blockBytes;
            long head = 0;
            int live = 0;
            MemorySegment memory = blockMemory[b];
            for (long at = (blockBytes / cellBytes - 1) * cellBytes; at >= 0; at -= cellBytes) {
                long header = memory.get(ValueLayout.JAVA_LONG, at);
                if (header != 0 && (header & Header.MARK) != 0) {
                    memory.set(ValueLayout.JAVA_LONG, at, header & ~Header.MARK);
                    live++;
                    continue;
                }
                if (header != 0) {
                    freed += cellBytes;
                    long objectBytes = Header.objectBytes(Header.payloadBytes(header), tags != null);
                    freedObjectBytes += objectBytes;
                    if (tags != null) {
                        tags.retag(blockBase + at, objectBytes);
                    }
                    memory.set(ValueLayout.JAVA_LONG, at, 0L);
                }
                memory.set(ValueLayout.JAVA_LONG, at + Header.BYTES, head);
                head = blockBase + at;
            }
            liveCells[b] = live;
            freeHead[b] = head;
            if (live == 0) {
                empty[emptyCount++] = b;
            } else if (head != 0) {
                classBlocks[cls][classBlockCount[cls]++] = b;
            }
        }
        usedBytes -= freed;
        // The first empty blocks (the first taken again) stay committed, up to the room the trigger leaves.
        long limitBytes = (long) maxBlocks * blockBytes;
        long spareBytes = keepSpares ? CollectionCycle.majorTrigger(limitBytes, usedBytes) - usedBytes : 0;
        int spares = (int) Math.max(0, Math.min(emptyCount, spareBytes / blockBytes));
        spareBlocks = 0;
        for (int e = 0; e < spares; e++) {
            int b = empty[e];
            if (blockClass[b] != RESERVED) {
                clearCards(base + b * blockBytes, blockBytes);
                blockClass[b] = SPARE;
                blockMemory[b] = null;
                freeHead[b] = 0;
                spareBlocks++;
            }
        }
        emptyCount -= spares;
        System.arraycopy(empty, spares, empty, 0, emptyCount);
        // Decommit invalidates every view of the region, so the empty blocks go back only after the walk.
        // Adjacent empty blocks go back in one call: each decommit invalidates the views (with shared views, a
        // handshake with every thread), so fewer calls make a shorter pause.
        for (int e = 0; e < emptyCount; e++) {
            int b = empty[e];
            int run = 1;
            while (e + run < emptyCount && empty[e + run] == b + run) {
                run++;
            }
            clearCards(base + b * blockBytes, run * blockBytes);
            region.decommit(b * blockBytes, run * blockBytes);
            for (int r = 0; r < run; r++) {
                blockClass[b + r] = NO_CLASS;
                freeHead[b + r] = 0;
            }
            e += run - 1;
            decommittedBlocks += run;
        }
        if (emptyCount > 0) {
            refreshViews();
        }
        return freedObjectBytes;
    }

    /**
     * Drops the contents of every committed block and of the card table, keeping them mapped ({@link
     * Region#discard}: they read zero and their memory goes back to the system), for a heap that closes while
     * another thread may still be inside a fast path; the region is deallocated later.
     */
    void dropPages() {
        for (int b = 0; b < committedBlocks; b++) {
            if (blockClass[b] == NO_CLASS) {
                continue;
            }
            int run = 1;
            while (b + run < committedBlocks && blockClass[b + run] != NO_CLASS) {
                run++;
            }
            region.discard(b * blockBytes, run * blockBytes);
            b += run - 1;
        }
        cardRegion.discard(0, cardRegion.committedBytes());
    }

    long usedBytes() {
        return usedBytes;
    }

    long committedBytes() {
        return (long) (committedBlocks - decommittedBlocks) * blockBytes;
    }

    /** {@return the committed bytes of the blocks a sweep emptied and kept as spares} */
    long spareBytes() {
        return (long) spareBlocks * blockBytes;
    }

    long cellBytesOf(long headerAddress) {
        return cellClasses[blockClass[(int) ((headerAddress - base) / blockBytes)]];
    }

    long cellClassAt(long address) {
        int cls = blockClass[(int) ((address - base) / blockBytes)];
        return cls < 0 ? -1 : cellClasses[cls];
    }

    // ---- compaction ----

    /**
     * {@return per block, whether it is worth evacuating: fewer than half its cells marked and none of them
     * pinned; or null if no block is}; reads the marks of a major collection before its sweep
     */
    boolean[] sparseBlocks() {
        boolean[] sparse = new boolean[committedBlocks];
        boolean any = false;
        for (int b = 0; b < committedBlocks; b++) {
            int cls = blockClass[b];
            if (cls < 0) {
                continue;
            }
            long cellBytes = cellClasses[cls];
            long cells = blockBytes / cellBytes;
            long marked = 0;
            boolean pinned = false;
            MemorySegment memory = blockMemory[b];
            for (long at = 0; at + cellBytes <= blockBytes; at += cellBytes) {
                long header = memory.get(ValueLayout.JAVA_LONG, at);
                if ((header & Header.MARK) != 0) {
                    marked++;
                    pinned |= (header & Header.PINNED) != 0;
                }
            }
            sparse[b] = marked > 0 && marked * 2 < cells && !pinned;
            any |= sparse[b];
        }
        return any ? sparse : null;
    }

    /** Takes the blocks marked in {@code blocks} out of allocation (free lists and bump ranges) until the sweep. */
    void withdraw(boolean[] blocks) {
        for (int cls = 0; cls < cellClasses.length; cls++) {
            int kept = 0;
            for (int i = 0; i < classBlockCount[cls]; i++) {
                int b = classBlocks[cls][i];
                if (!blocks[b]) {
                    classBlocks[cls][kept++] = b;
                }
            }
            classBlockCount[cls] = kept;
            if (bumpLimit[cls] > 0 && blocks[(int) ((bumpLimit[cls] - 1 - base) >>> blockShift)]) {
                bumpCursor[cls] = 0;
                bumpLimit[cls] = 0;
            }
        }
    }

    /** Frees the cell at {@code headerAddress} (an object that moved): its header becomes 0. */
    void releaseCell(long headerAddress) {
        int block = (int) ((headerAddress - base) >>> blockShift);
        setLong(headerAddress, 0);
        liveCells[block]--;
        usedBytes -= cellClasses[blockClass[block]];
    }

    MemorySegment blockMemory(int block) {
        return blockMemory[block];
    }

    long cellClassOfBlock(int block) {
        return cellClasses[blockClass[block]];
    }

    /** Visits the header address of every allocated cell with the mark bit set. */
    void forEachMarkedCell(CellVisitor visitor) {
        forEachCell(cell -> {
            if ((getLong(cell) & Header.MARK) != 0) {
                visitor.visit(cell);
            }
        });
    }

    // ---- card table ----

    /** Dirties the card of a slot of a committed old block (the mutator's write barrier). */
    void dirtyCard(long slotAddress) {
        // The card table is committed whole for the generation's limit: the constant segment, see AddressSpace.
        AddressSpace.ALL.set(ValueLayout.JAVA_BYTE, cardsAddress + ((slotAddress - base) >>> CARD_SHIFT), (byte) 1);
    }

    boolean isCardDirty(long slotAddress) {
        return cards.get(ValueLayout.JAVA_BYTE, (slotAddress - base) >>> CARD_SHIFT) != 0;
    }

    long cardCount() {
        return (long) committedBlocks * blockBytes >>> CARD_SHIFT;
    }

    /** {@return whether any of the (up to) eight cards from {@code first} is dirty}; {@code cards} is the count */
    boolean anyCardDirty(long first, long cards) {
        if (first + 8 <= cards && first + 8 <= this.cards.byteSize()) {
            return this.cards.get(ValueLayout.JAVA_LONG_UNALIGNED, first) != 0;
        }
        for (long card = first; card < cards; card++) {
            if (this.cards.get(ValueLayout.JAVA_BYTE, card) != 0) {
                return true;
            }
        }
        return false;
    }

    /** {@return the offset of {@code address} in its block's segment} */
    long offsetInBlock(long address) {
        return (address - base) & (blockBytes - 1);
    }

    boolean takeCard(long card) {
        if (cards.get(ValueLayout.JAVA_BYTE, card) == 0) {
            return false;
        }
        cards.set(ValueLayout.JAVA_BYTE, card, (byte) 0);
        return blockClass[(int) ((card << CARD_SHIFT) / blockBytes)] >= 0;
    }

    private void clearCards(long from, long bytes) {
        cards.asSlice((from - base) >>> CARD_SHIFT, bytes >>> CARD_SHIFT).fill((byte) 0);
    }

    /**
     * {@return the offset of {@code address} in its block's segment if it is the payload address of a cell
     * (allocated or not: the header tells), else -1}
     */
    long payloadOffsetInBlock(long address) {
        long offset = address - base;
        if (offset < 0 || offset >= (long) committedBlocks * blockBytes || (address & 7) != 0) {
            return -1;
        }
        int block = (int) (offset >>> blockShift);
        int cls = blockClass[block];
        if (cls < 0) {
            return -1;
        }
        long inBlock = offset & (blockBytes - 1);
        long cellOffset = inBlock - Header.BYTES;
        if (cellOffset < 0 || cellRemainder(cellOffset, cls) != 0 || cellOffset + cellClasses[cls] > blockBytes) {
            return -1;
        }
        return inBlock;
    }

    /**
     * {@return {@code cellOffset % cellClasses[cls]}} for an offset {@code 0 <= cellOffset < blockBytes}: a
     * 32-bit division when blocks fit in an int (on Intel cores before Ice Lake a 64-bit {@code DIV} has
     * several times the latency of a 32-bit one: Agner Fog, "Instruction tables", DIV r32 / r64 rows).
     */
    private long cellRemainder(long cellOffset, int cls) {
        return intBlocks ? (int) cellOffset % (int) cellClasses[cls] : cellOffset % cellClasses[cls];
    }

    long getLong(long address) {
        long offset = address - base;
        return blockMemory[(int) (offset >>> blockShift)].get(ValueLayout.JAVA_LONG, offset & (blockBytes - 1));
    }

    void setLong(long address, long value) {
        long offset = address - base;
        blockMemory[(int) (offset >>> blockShift)].set(ValueLayout.JAVA_LONG, offset & (blockBytes - 1), value);
    }

    MemorySegment blockSegment(long address) {
        return blockMemory[(int) ((address - base) >>> blockShift)];
    }
}
