package dev.pagealloc.embedded;

import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Units;
import dev.pagealloc.spi.Backing;
import dev.pagealloc.spi.ExecutableMemory;
import dev.pagealloc.spi.FeatureAnswer;
import dev.pagealloc.spi.HardwareMemoryTagging;
import dev.pagealloc.spi.MemoryImages;
import dev.pagealloc.spi.PageAdvice;
import dev.pagealloc.spi.PlatformFeature;
import dev.pagealloc.spi.PurgeableMemory;
import dev.pagealloc.spi.SystemCallException;
import dev.pagealloc.spi.VirtualMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.WeakHashMap;

/**
 * The page primitives over one fixed buffer: the buffer is the whole address space, a page table
 * (one state per 4 KiB page, and a bitmap of used pages) is the kernel. Reserve finds the first free
 * aligned run; commit zeroes pages and marks them readable and writable; protect, decommit and
 * discard change the table (the shared layer turns the table's protections into closed and
 * read-only views); decommit and discard zero the bytes.
 *
 * <p>Guards: every inaccessible page (guard regions, the reserved tail, decommitted pages) holds
 * the {@link Canaries canary pattern}; a page protected {@link Protection#NONE} keeps its contents
 * and a hash of them instead. {@link #verifyGuards} reports the first canary changed, or the first
 * byte of a protected page whose hash changed. Nothing stops a native write into the buffer; the
 * canaries only tell afterwards.
 *
 * <p>Limits: the memory is ordinary data memory, so {@link Protection#READ_EXECUTE} is refused
 * ({@code ENOTSUP}); there are no huge pages, NUMA nodes, tagging or page locking. Unlike an OS
 * backend it is not stateless: the page table is the state an OS kernel would keep.
 *
 * <p>Lifetime: the buffer's scope never closes (the global scope of a caller's buffer, see
 * {@link EmbeddedBuffers#checkStatic}, or the automatic scope of the provider's own buffer, which
 * this object keeps reachable), and every view keeps this object reachable (see {@link #view}), so
 * no view outlives the memory under it, and this object's {@link BufferClaims claim} on the
 * buffer outlives every view.
 *
 * <p>Failures: a primitive that throws, whatever the exception, leaves the page table as it was.
 * Each touches the buffer (canaries, zeros, hashes) before it changes the table; a JDK access
 * check fails before the first byte is written.
 *
 * @implSpec Thread-safe: every primitive holds this object's monitor.
 */
final class EmbeddedVirtualMemory implements VirtualMemory {
    /** The page size of the table, in bytes. */
    static final long PAGE_BYTES = 4096;

    /** What the table knows of a page. */
    enum PageState {
        /** Not reserved. */
        FREE,
        /** Reserved and inaccessible (guard, tail or decommitted): holds the canary. */
        RESERVED,
        /** Committed, protected NONE: keeps its contents, hashed. */
        NONE,
        /** Committed, read-only. */
        READ,
        /** Committed, readable and writable. */
        READ_WRITE
    }

    private final MemorySegment buffer;
    private final long base;
    private final int pageCount;
    private final boolean ownBuffer;
    private final Capabilities capabilities;
    private final PageState[] states;
    private final BitSet used = new BitSet();
    /** First page of each reservation to its page count. */
    private final TreeMap<Integer, Integer> reservations = new TreeMap<>();
    /** Content hash of each page protected NONE. */
    private final Map<Integer, Long> hashes = new HashMap<>();
    /** Arenas of views that already keep this table reachable (see {@link #view}). */
    private final Map<Arena, Boolean> pinning = Collections.synchronizedMap(new WeakHashMap<>());

    /**
     * Creates the page table over {@code buffer}, claiming its bytes.
     *
     * @param buffer a native buffer, page-aligned, a whole number of pages, at most
     *     {@link EmbeddedBuffers#MAX_PAGES} of them, whose scope never closes
     * @param ownBuffer whether the provider allocated it (else the caller owns it)
     * @throws IllegalArgumentException if another live page table manages any byte of the buffer
     */
    EmbeddedVirtualMemory(MemorySegment buffer, boolean ownBuffer) {
        this.buffer = buffer;
        this.base = buffer.address();
        this.pageCount = Math.toIntExact(buffer.byteSize() / PAGE_BYTES);
        this.ownBuffer = ownBuffer;
        this.states = new PageState[pageCount];
        Arrays.fill(states, PageState.FREE);
        long end = base + buffer.byteSize();
        this.capabilities = Capabilities.builder()
                .platform(EmbeddedPlatformProvider.NAME)
                .operatingSystem("embedded buffer at " + Units.hex(base) + " of " + Units.bytes(buffer.byteSize())
                        + " (" + System.getProperty("os.name") + ")")
                .pageBytes(PAGE_BYTES)
                .allocationGranularityBytes(PAGE_BYTES)
                .transparentHugePages(Capabilities.TransparentHugePageMode.UNSUPPORTED)
                .addressBits(64 - Long.numberOfLeadingZeros(end - 1))
                .overcommit(Capabilities.OvercommitPolicy.NEVER)
                .memoryLimitBytes(OptionalLong.of(buffer.byteSize()))
                .totalMemoryBytes(buffer.byteSize())
                .protections(java.util.EnumSet.of(Protection.NONE, Protection.READ, Protection.READ_WRITE))
                .pageLocking(false)
                .build();
        // Last, so that nothing after it can fail and leave the bytes claimed until the next GC.
        BufferClaims.claim("open(staticBuffer=" + EmbeddedBuffers.describe(buffer) + ")", this,
                buffer.address(), buffer.byteSize());
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    /** {@return the whole buffer's first address} */
    long bufferAddress() {
        return base;
    }

    /** {@return the buffer's size, in bytes} */
    long bufferBytes() {
        return buffer.byteSize();
    }

    /** {@return whether the provider allocated the buffer itself} */
    boolean ownsBuffer() {
        return ownBuffer;
    }

    // ---- primitives ----

    @Override
    public synchronized long reserve(long byteSize, long alignmentBytes, Backing backing) throws SystemCallException {
        String call = "embedded.reserve(byteSize=" + byteSize + ", alignmentBytes=" + alignmentBytes + ")";
        long wanted = byteSize / PAGE_BYTES;
        int first = wanted > pageCount ? -1 : firstFit((int) wanted, alignmentBytes);
        if (first < 0) {
            long free = pageCount - used.cardinality();
            throw new SystemCallException(call, 12, "ENOMEM", "no free run of " + wanted + " pages aligned to "
                    + alignmentBytes + " bytes in the embedded buffer of " + buffer.byteSize() + " bytes ("
                    + free * PAGE_BYTES
                    + " bytes free, largest free run " + largestFreeRun() * PAGE_BYTES + " bytes); raise "
                    + EmbeddedPlatformProvider.BUFFER_BYTES_PROPERTY + " or pass a larger static buffer");
        }
        int pages = (int) wanted;
        Canaries.fill(pages(first, pages)); // the pages are free, so a failure here leaves nothing to undo
        used.set(first, first + pages);
        reservations.put(first, pages);
        set(first, first + pages, PageState.RESERVED);
        return address(first);
    }

    /** First fit: the lowest free run of {@code pages} pages whose address is a multiple of {@code alignment}. */
    private int firstFit(int pages, long alignmentBytes) {
        int from = 0;
        while (from < pageCount) {
            int free = used.nextClearBit(from);
            long aligned = Math.ceilDiv(address(free), alignmentBytes) * alignmentBytes;
            long candidate = (aligned - base) / PAGE_BYTES;
            if (candidate + pages > pageCount) {
                return -1;
            }
            int next = used.nextSetBit((int) candidate);
            if (next < 0 || next >= candidate + pages) {
                return (int) candidate;
            }
            from = next + 1;
        }
        return -1;
    }

    private int largestFreeRun() {
        int largest = 0;
        for (int free = used.nextClearBit(0); free < pageCount; ) {
            int next = used.nextSetBit(free);
            int end = next < 0 ? pageCount : next;
            largest = Math.max(largest, end - free);
            if (next < 0) {
                break;
            }
            free = used.nextClearBit(next);
        }
        return largest;
    }

    @Override
    public synchronized void commit(long address, long byteSize, Backing backing) throws SystemCallException {
        int first = page(address);
        int pages = pageCount(byteSize);
        pages(first, pages).fill((byte) 0);
        forget(first, pages);
        set(first, first + pages, PageState.READ_WRITE);
    }

    @Override
    public synchronized void protect(long address, long byteSize, Protection protection) throws SystemCallException {
        if (protection == Protection.READ_EXECUTE) {
            throw new SystemCallException("embedded.protect(" + Units.hex(address) + ", " + byteSize
                    + ", READ_EXECUTE)",
                    95, "ENOTSUP", "the embedded buffer is ordinary data memory that the CPU does not execute");
        }
        int first = page(address);
        int pages = pageCount(byteSize);
        PageState state = switch (protection) {
            case NONE -> PageState.NONE;
            case READ -> PageState.READ;
            case READ_WRITE -> PageState.READ_WRITE;
            case READ_EXECUTE -> throw new AssertionError("refused above");
        };
        long[] contents = state == PageState.NONE ? hashes(first, pages) : null;
        forget(first, pages);
        set(first, first + pages, state);
        if (contents != null) {
            remember(first, contents);
        }
    }

    @Override
    public synchronized void decommit(long address, long byteSize, Backing backing) throws SystemCallException {
        int first = page(address);
        int pages = pageCount(byteSize);
        Canaries.fill(pages(first, pages));
        forget(first, pages);
        set(first, first + pages, PageState.RESERVED);
    }

    @Override
    public synchronized void discard(long address, long byteSize, Backing backing) throws SystemCallException {
        int first = page(address);
        int pages = pageCount(byteSize);
        pages(first, pages).fill((byte) 0);
        // The zeros already written cannot be unwritten: the hash of a zero page never fails.
        long zeroHash = Canaries.hash(pages(first, 1));
        for (int p = first; p < first + pages; p++) {
            if (states[p] == PageState.NONE) {
                hashes.put(p, zeroHash);
            }
        }
    }

    @Override
    public synchronized void release(long address, long byteSize) throws SystemCallException {
        int first = page(address);
        Integer pages = reservations.get(first);
        if (pages == null || pages != pageCount(byteSize)) {
            String reserved = pages == null ? "none" : pages * PAGE_BYTES + " bytes";
            throw new SystemCallException("embedded.release(" + Units.hex(address) + ", " + byteSize + ")", 22,
                    "EINVAL",
                    "not a reservation of the embedded buffer (reserved here: " + reserved + ")");
        }
        reservations.remove(first);
        forget(first, pages);
        set(first, first + pages, PageState.FREE);
        used.clear(first, first + pages);
    }

    /** Commit already wrote every byte, so committed pages are resident: nothing more to do. */
    @Override
    public void populate(long address, long byteSize) {
    }

    /**
     * Refused: the embedded provider makes no OS call, so it cannot pin pages.
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    public void lock(long address, long byteSize) {
        throw new UnsupportedOperationException("the embedded provider makes no system call and cannot lock pages "
                + "in memory");
    }

    /**
     * {@inheritDoc}
     *
     * @implNote The embedded buffer gives {@link PageAdvice} in software ({@link EmbeddedPageAdvice}) and
     *     answers every other feature absent, with the reason: it makes no system call, so it can neither make
     *     memory executable nor map a copy-on-write image, and it has no tags.
     */
    @Override
    public <F extends PlatformFeature> FeatureAnswer<F> feature(Class<F> type) {
        if (type == PageAdvice.class) {
            return FeatureAnswer.of(type, type.cast(new EmbeddedPageAdvice()));
        }
        String reason;
        if (type == ExecutableMemory.class) {
            reason = "the embedded buffer is data memory, and making it executable needs a system call";
        } else if (type == MemoryImages.class) {
            reason = "copy-on-write needs an operating system's page tables; copy the image with MemorySegment.copy";
        } else if (type == PurgeableMemory.class) {
            reason = "no kernel can empty the caller's buffer under memory pressure";
        } else if (type == HardwareMemoryTagging.class) {
            reason = "hardware tags need PROT_MTE mappings from a kernel; software tagging"
                    + " (TaggingPolicy.SOFTWARE) works here";
        } else {
            return VirtualMemory.super.feature(type);
        }
        return FeatureAnswer.absent(type, reason);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The view also keeps this page table, and so its buffer and its {@link BufferClaims claim}
     * on the buffer, reachable while {@code arena} lives: a view that outlives its allocator never
     * points into a buffer the provider has freed, nor into one another allocator has claimed.
     */
    @Override
    @SuppressWarnings("restricted") // see the two SAFETY lines
    public MemorySegment view(long address, long byteSize, Arena arena) {
        if (pinning.putIfAbsent(arena, Boolean.TRUE) == null) {
            EmbeddedVirtualMemory keep = this;
            // SAFETY: a zero-length segment at NULL is never accessed; it only ties a cleanup action
            // holding `keep` to the arena, so the page table stays reachable until the arena closes.
            MemorySegment.NULL.reinterpret(0, arena, ignored -> Reference.reachabilityFence(keep));
        }
        // SAFETY: the shared layer asks only for committed, readable pages of a live reservation
        // inside the buffer and closes `arena` before any of them loses access or is released.
        return MemorySegment.ofAddress(address).reinterpret(byteSize, arena, null);
    }

    @Override
    public synchronized OptionalLong verifyGuards(long reservation, long reservationBytes) {
        int first = page(reservation);
        int pages = pageCount(reservationBytes);
        for (int p = first; p < first + pages; p++) {
            if (states[p] == PageState.RESERVED) {
                long changed = Canaries.firstChanged(pages(p, 1));
                if (changed >= 0) {
                    return OptionalLong.of(address(p) + changed);
                }
            } else if (states[p] == PageState.NONE && Canaries.hash(pages(p, 1)) != hashes.get(p)) {
                return OptionalLong.of(address(p));
            }
        }
        return OptionalLong.empty();
    }

    // ---- what the kernel view reads ----

    /**
     * One run of pages in the same state.
     *
     * @param start the first address
     * @param end one past the last address
     * @param state the pages' state; never {@link PageState#FREE}
     */
    record Run(long start, long end, PageState state) {}

    /** {@return the used runs overlapping {@code [address, address + byteSize)}, clipped to it and to the buffer} */
    synchronized List<Run> runs(long address, long byteSize) {
        List<Run> runs = new ArrayList<>();
        long from = Math.max(address, base);
        long to = Math.min(address + byteSize, base + buffer.byteSize());
        if (from >= to) {
            return runs;
        }
        for (int p = (int) ((from - base) / PAGE_BYTES); address(p) < to; p++) {
            if (states[p] == PageState.FREE) {
                continue;
            }
            long start = Math.max(from, address(p));
            long end = Math.min(to, address(p + 1));
            Run last = runs.isEmpty() ? null : runs.getLast();
            if (last != null && last.end() == start && last.state() == states[p]) {
                runs.set(runs.size() - 1, new Run(last.start(), end, last.state()));
            } else {
                runs.add(new Run(start, end, states[p]));
            }
        }
        return runs;
    }

    /** {@return the number of reservations} */
    synchronized int reservationCount() {
        return reservations.size();
    }

    // ---- helpers ----

    private long address(int page) {
        return base + page * PAGE_BYTES;
    }

    private int page(long address) {
        return (int) ((address - base) / PAGE_BYTES);
    }

    private static int pageCount(long byteSize) {
        return (int) (byteSize / PAGE_BYTES);
    }

    private MemorySegment pages(int first, int pages) {
        return buffer.asSlice(first * PAGE_BYTES, pages * PAGE_BYTES);
    }

    private void set(int from, int to, PageState state) {
        Arrays.fill(states, from, to, state);
    }

    private long[] hashes(int first, int pages) {
        long[] contents = new long[pages];
        for (int i = 0; i < pages; i++) {
            contents[i] = Canaries.hash(pages(first + i, 1));
        }
        return contents;
    }

    private void remember(int first, long[] contents) {
        for (int i = 0; i < contents.length; i++) {
            hashes.put(first + i, contents[i]);
        }
    }

    private void forget(int first, int pages) {
        if (!hashes.isEmpty()) {
            for (int p = first; p < first + pages; p++) {
                hashes.remove(p);
            }
        }
    }
}
