package dev.pagealloc.testkit.sim;

import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Units;
import dev.pagealloc.testkit.KernelView;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The page table of a simulated kernel, over real memory: a block of host memory whose addresses
 * are handed out as the simulated process's addresses, so that the shared layer's views
 * ({@code MemorySegment}s over those addresses) read and write real bytes. Each page has a state
 * (free, reserved, committed), an access (read, write, execute bits), a maximum access and the
 * allocation it belongs to. Pages read zero whenever the simulated OS promises zero: a page that may
 * have been written is zeroed when it is decommitted, released or replaced.
 *
 * <p>The simulation cannot make the CPU enforce a page's access: a Java view over a page the table
 * says is inaccessible would still read the host memory. The conformance suite therefore judges
 * access through {@link #kernelView()}, which answers from this table.
 *
 * <p>Thread-safe: every method holds the table's monitor.
 */
public final class SimulatedAddressSpace implements AutoCloseable {
    /** Access bit: loads allowed ({@code VM_PROT_READ}, the read part of {@code PAGE_READ*}). */
    public static final int READ = 1;
    /** Access bit: stores allowed. */
    public static final int WRITE = 2;
    /** Access bit: instruction fetches allowed. */
    public static final int EXECUTE = 4;

    /** The alignment of the first simulated address, in bytes: enough for 2 MiB superpages and large pages. */
    public static final long BASE_ALIGNMENT_BYTES = 2L << 20;

    private static final byte DIRTY = 1;
    private static final byte REUSABLE = 2;
    /** {@code MADV_FREE}: the page's modified bit was cleared, so reclaim drops it. */
    private static final byte FREEABLE = 4;
    private static final byte READ_RANDOM = 8;
    private static final byte READ_SEQUENTIAL = 16;
    /** Wired by {@code mlock}; unmapping or replacing the page unwires it. */
    private static final byte WIRED = 32;

    /** The state of one simulated page. */
    public enum PageState {
        /** Not part of any allocation. */
        FREE,
        /** Address space reserved, no memory behind it (Windows {@code MEM_RESERVE}). */
        RESERVED,
        /** Backed by memory; accessible as its access bits say. */
        COMMITTED
    }

    /**
     * One run of pages with the same state, access and allocation.
     *
     * @param start the first address
     * @param end one past the last address
     * @param state the pages' state
     * @param access the pages' access bits ({@link #READ}, {@link #WRITE}, {@link #EXECUTE})
     * @param allocation the allocation the pages belong to; null for free pages
     */
    public record Run(long start, long end, PageState state, int access, Allocation allocation) {
        /** {@return {@code end - start}, in bytes} */
        public long byteSize() {
            return end - start;
        }
    }

    private final long pageBytes;
    private final int pageShift;
    private final long byteSize;
    private final long base;
    private final MemorySegment memory;
    private final MemorySegment raw;
    private final boolean rawFromCalloc;
    private final Arena fallbackArena;
    private final PageState[] states;
    private final byte[] access;
    private final byte[] maximumAccess;
    private final byte[] flags;
    private final Allocation[] owners;
    private final Map<Long, Allocation> allocations = new HashMap<>();
    private long nextFit;
    private boolean closed;

    /**
     * Creates an address space of {@code byteSize} bytes of {@code pageBytes} pages, all free.
     * Host memory is taken lazily where the host allows ({@code calloc}), so a large simulated
     * space costs only the pages really touched.
     *
     * @param pageBytes the simulated page size, in bytes; a power of two from 4 KiB to 64 KiB
     * @param byteSize the simulated address space, in bytes; a multiple of {@link #BASE_ALIGNMENT_BYTES}
     * @throws IllegalArgumentException if a size is out of range
     */
    public SimulatedAddressSpace(long pageBytes, long byteSize) {
        if (pageBytes < 4096 || pageBytes > 65536 || Long.bitCount(pageBytes) != 1) {
            throw new IllegalArgumentException("SimulatedAddressSpace(pageBytes=" + pageBytes
                    + "): not a power of two from 4096 to 65536");
        }
        if (byteSize <= 0 || byteSize % BASE_ALIGNMENT_BYTES != 0 || byteSize / pageBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("SimulatedAddressSpace(byteSize=" + byteSize
                    + "): not a positive multiple of "
                    + BASE_ALIGNMENT_BYTES + " with at most " + Integer.MAX_VALUE + " pages");
        }
        this.pageBytes = pageBytes;
        this.pageShift = Long.numberOfTrailingZeros(pageBytes);
        this.byteSize = byteSize;
        long rawBytes = byteSize + BASE_ALIGNMENT_BYTES;
        MemorySegment fromCalloc = calloc(rawBytes);
        if (fromCalloc != null) {
            this.raw = fromCalloc;
            this.rawFromCalloc = true;
            this.fallbackArena = null;
        } else {
            this.fallbackArena = Arena.ofShared();
            this.raw = fallbackArena.allocate(rawBytes, BASE_ALIGNMENT_BYTES);
            this.rawFromCalloc = false;
        }
        this.base = (raw.address() + BASE_ALIGNMENT_BYTES - 1) & -BASE_ALIGNMENT_BYTES;
        this.memory = raw.asSlice(base - raw.address(), byteSize);
        int pages = (int) (byteSize >>> pageShift);
        this.states = new PageState[pages];
        java.util.Arrays.fill(states, PageState.FREE);
        this.access = new byte[pages];
        this.maximumAccess = new byte[pages];
        this.flags = new byte[pages];
        this.owners = new Allocation[pages];
    }

    private static MemorySegment calloc(long bytes) {
        Linker linker = Linker.nativeLinker();
        Optional<MemorySegment> symbol = linker.defaultLookup().find("calloc");
        if (symbol.isEmpty()) {
            return null;
        }
        // SAFETY: the descriptor is calloc's prototype (C11 7.22.3.2) on LP64: size_t is 64 bits.
        @SuppressWarnings("restricted")
        MethodHandle calloc = linker.downcallHandle(symbol.get(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        try {
            MemorySegment block = (MemorySegment) calloc.invokeExact(bytes, 1L);
            // SAFETY: calloc returned `bytes` bytes owned by this object until close() frees them.
            @SuppressWarnings("restricted")
            MemorySegment owned = block.address() == 0 ? null : block.reinterpret(bytes);
            return owned;
        } catch (Throwable e) {
            throw new IllegalStateException("SimulatedAddressSpace: calloc(" + bytes + ", 1) failed", e);
        }
    }

    // ---- geometry ----

    /** {@return the simulated page size, in bytes} */
    public long pageBytes() {
        return pageBytes;
    }

    /** {@return the first simulated address; a multiple of {@link #BASE_ALIGNMENT_BYTES}} */
    public long base() {
        return base;
    }

    /** {@return the size of the simulated address space, in bytes} */
    public long byteSize() {
        return byteSize;
    }

    /**
     * {@return whether {@code [address, address + length)} lies inside the simulated space}
     *
     * @param address the first address
     * @param length the length, in bytes; not negative
     */
    public boolean contains(long address, long length) {
        return length >= 0 && address >= base && address - base <= byteSize && length <= byteSize - (address - base);
    }

    /**
     * {@return {@code address} rounded down to a page}
     *
     * @param address an address
     */
    public long truncatePage(long address) {
        return address & -pageBytes;
    }

    /**
     * {@return {@code byteCount} rounded up to a page, or -1 if that overflows}
     *
     * @param byteCount a byte count
     */
    public long roundPage(long byteCount) {
        return byteCount > Long.MAX_VALUE - pageBytes ? -1 : (byteCount + pageBytes - 1) & -pageBytes;
    }

    private int page(long address) {
        return (int) ((address - base) >>> pageShift);
    }

    // ---- queries ----

    /**
     * {@return the runs of pages overlapping {@code [address, address + length)}, clipped to it}
     *
     * @param address the first address; page-aligned and inside the space
     * @param length the length, in bytes; a multiple of the page size
     */
    public synchronized List<Run> runs(long address, long length) {
        List<Run> runs = new ArrayList<>();
        if (length <= 0) {
            return runs;
        }
        long start = Math.max(address, base);
        long end = Math.min(address + length, base + byteSize);
        long runStart = start;
        while (runStart < end) {
            int first = page(runStart);
            long runEnd = runStart + pageBytes;
            while (runEnd < end && same(first, page(runEnd))) {
                runEnd += pageBytes;
            }
            runs.add(new Run(runStart, Math.min(runEnd, end), states[first], access[first], owners[first]));
            runStart = runEnd;
        }
        return runs;
    }

    private boolean same(int a, int b) {
        return states[a] == states[b] && access[a] == access[b] && owners[a] == owners[b];
    }

    /**
     * {@return the state of the page holding {@code address}}
     *
     * @param address an address inside the space
     */
    public synchronized PageState stateAt(long address) {
        return states[page(address)];
    }

    /**
     * {@return the access bits of the page holding {@code address}}
     *
     * @param address an address inside the space
     */
    public synchronized int accessAt(long address) {
        return access[page(address)];
    }

    /**
     * {@return the maximum access bits of the page holding {@code address}}
     *
     * @param address an address inside the space
     */
    public synchronized int maximumAccessAt(long address) {
        return maximumAccess[page(address)];
    }

    /**
     * {@return the allocation holding {@code address}}, if any
     *
     * @param address an address
     */
    public synchronized Optional<Allocation> allocationAt(long address) {
        return contains(address, 1) ? Optional.ofNullable(owners[page(address)]) : Optional.empty();
    }

    /** {@return the live allocations, in no particular order} */
    public synchronized List<Allocation> allocations() {
        return List.copyOf(allocations.values());
    }

    /** {@return the committed bytes of the whole space} */
    public synchronized long committedBytes() {
        long pages = 0;
        for (PageState s : states) {
            pages += s == PageState.COMMITTED ? 1 : 0;
        }
        return pages << pageShift;
    }

    /**
     * {@return {@code [address, address + length)} as a segment of the host memory behind it}, for
     * simulated kernels that copy or fill pages
     *
     * @param address the first address, inside the space
     * @param length the length, in bytes
     */
    MemorySegment bytes(long address, long length) {
        return memory.asSlice(address - base, length);
    }

    // ---- changes, for the simulated kernels of this package ----

    /**
     * Finds {@code length} free bytes aligned to {@code alignment}, next-fit from the last find.
     *
     * @return the address, or -1 if none is free
     */
    synchronized long findFree(long length, long alignment) {
        long pages = length >>> pageShift;
        long total = byteSize >>> pageShift;
        for (int pass = 0; pass < 2; pass++) {
            long from = pass == 0 ? nextFit : 0;
            long candidate = alignUp(base + from, alignment);
            while (candidate - base + length <= byteSize) {
                int first = page(candidate);
                int busy = -1;
                for (int p = first; p < first + pages; p++) {
                    if (states[p] != PageState.FREE) {
                        busy = p;
                    }
                }
                if (busy < 0) {
                    nextFit = (candidate - base + length) % byteSize;
                    return candidate;
                }
                candidate = alignUp(base + ((long) (busy + 1) << pageShift), alignment);
            }
            if (nextFit == 0 || total == 0) {
                break;
            }
        }
        return -1;
    }

    private static long alignUp(long value, long alignment) {
        return (value + alignment - 1) & -alignment;
    }

    /** {@return whether every page of the range is free} */
    synchronized boolean isFree(long address, long length) {
        for (long a = address; a < address + length; a += pageBytes) {
            if (states[page(a)] != PageState.FREE) {
                return false;
            }
        }
        return true;
    }

    /** Creates an allocation over free pages and maps them with {@code state} and {@code access}. */
    synchronized Allocation map(long address, long length, PageState state, int access, int maximumAccess,
            Allocation.Kind kind) {
        Allocation allocation = new Allocation(address, length, kind);
        allocation.pages = (int) (length >>> pageShift);
        allocations.put(address, allocation);
        for (long a = address; a < address + length; a += pageBytes) {
            int p = page(a);
            states[p] = state;
            this.access[p] = (byte) access;
            this.maximumAccess[p] = (byte) maximumAccess;
            owners[p] = allocation;
        }
        markWritten(address, length, state, access);
        return allocation;
    }

    /** Frees the pages of a range, zeroing those that may have been written, and forgets emptied allocations. */
    synchronized void unmap(long address, long length) {
        zero(address, length);
        for (long a = address; a < address + length; a += pageBytes) {
            int p = page(a);
            Allocation owner = owners[p];
            states[p] = PageState.FREE;
            flags[p] = 0;
            access[p] = 0;
            maximumAccess[p] = 0;
            owners[p] = null;
            if (owner != null) {
                owner.pages--;
                if (owner.pages == 0) {
                    allocations.remove(owner.base());
                }
            }
        }
    }

    /** Sets the state and access of every page of a range, without touching contents. */
    synchronized void set(long address, long length, PageState state, int access) {
        for (long a = address; a < address + length; a += pageBytes) {
            int p = page(a);
            states[p] = state;
            this.access[p] = (byte) access;
        }
        markWritten(address, length, state, access);
    }

    /** Sets the maximum access of every page of a range, lowering the current access to it. */
    synchronized void setMaximum(long address, long length, int maximumAccess) {
        for (long a = address; a < address + length; a += pageBytes) {
            int p = page(a);
            this.maximumAccess[p] = (byte) maximumAccess;
            this.access[p] &= (byte) maximumAccess;
        }
    }

    private void markWritten(long address, long length, PageState state, int access) {
        if (state == PageState.COMMITTED && (access & WRITE) != 0) {
            for (long a = address; a < address + length; a += pageBytes) {
                flags[page(a)] |= DIRTY;
            }
        }
    }

    /** Marks pages as possibly written by the simulated kernel itself (a copy into them). */
    synchronized void markDirty(long address, long length) {
        for (long a = address; a < address + length; a += pageBytes) {
            flags[page(a)] |= DIRTY;
        }
    }

    /** Marks or unmarks pages as reusable ({@code MADV_FREE_REUSABLE}): their contents may vanish. */
    synchronized void markReusable(long address, long length, boolean reusable) {
        for (long a = address; a < address + length; a += pageBytes) {
            int p = page(a);
            flags[p] = (byte) (reusable ? flags[p] | REUSABLE : flags[p] & ~REUSABLE);
        }
    }

    /**
     * {@return the bytes of the space marked reusable ({@code MADV_FREE_REUSABLE}) and not reused since}
     */
    public synchronized long reusableBytes() {
        long pages = 0;
        for (byte f : flags) {
            pages += (f & REUSABLE) != 0 ? 1 : 0;
        }
        return pages << pageShift;
    }

    /** Reclaims every reusable or freeable page, as memory pressure would: it reads zero afterwards. */
    synchronized void reclaimReusable() {
        for (int p = 0; p < flags.length; p++) {
            if ((flags[p] & (REUSABLE | FREEABLE)) != 0) {
                long a = base + ((long) p << pageShift);
                flags[p] |= DIRTY;
                zero(a, pageBytes);
                flags[p] &= (byte) ~(REUSABLE | FREEABLE);
            }
        }
    }

    /**
     * Marks pages freeable ({@code MADV_FREE}): reclaim drops them. The simulation cannot see a store
     * from Java, so unlike XNU (where a write sets the modified bit again) a page written afterwards is
     * dropped too: stricter than the kernel, never looser.
     */
    synchronized void markFreeable(long address, long length) {
        for (long a = address; a < address + length; a += pageBytes) {
            flags[page(a)] |= FREEABLE;
        }
    }

    /** {@return the bytes of the space marked freeable ({@code MADV_FREE}) and not reclaimed since} */
    public synchronized long freeableBytes() {
        long pages = 0;
        for (byte f : flags) {
            pages += (f & FREEABLE) != 0 ? 1 : 0;
        }
        return pages << pageShift;
    }

    /** Marks pages wired ({@code mlock}). */
    synchronized void markWired(long address, long length) {
        for (long a = address; a < address + length; a += pageBytes) {
            flags[page(a)] |= WIRED;
        }
    }

    /** {@return the bytes of the space wired by {@code mlock} and still mapped} */
    public synchronized long wiredBytes() {
        long pages = 0;
        for (byte f : flags) {
            pages += (f & WIRED) != 0 ? 1 : 0;
        }
        return pages << pageShift;
    }

    /**
     * Records the read-ahead behaviour of pages, as XNU keeps it in each map entry.
     *
     * @param address the first page
     * @param length the length, in bytes
     * @param behaviour {@code "normal"}, {@code "random"} or {@code "sequential"}
     */
    synchronized void setReadBehaviour(long address, long length, String behaviour) {
        byte bits = switch (behaviour) {
            case "random" -> READ_RANDOM;
            case "sequential" -> READ_SEQUENTIAL;
            default -> 0;
        };
        for (long a = address; a < address + length; a += pageBytes) {
            int p = page(a);
            flags[p] = (byte) ((flags[p] & ~(READ_RANDOM | READ_SEQUENTIAL)) | bits);
        }
    }

    /**
     * {@return the read-ahead behaviour of the page holding {@code address}}: {@code "normal"},
     * {@code "random"} or {@code "sequential"}
     *
     * @param address an address inside the space
     */
    public synchronized String readBehaviourAt(long address) {
        byte f = flags[page(address)];
        return (f & READ_RANDOM) != 0 ? "random" : (f & READ_SEQUENTIAL) != 0 ? "sequential" : "normal";
    }

    /** Zeroes the pages of a range that may have been written: what the OS does when it drops pages. */
    synchronized void zero(long address, long length) {
        for (long a = address; a < address + length; a += pageBytes) {
            int p = page(a);
            if ((flags[p] & DIRTY) != 0) {
                bytes(a, pageBytes).fill((byte) 0);
                flags[p] &= (byte) ~DIRTY;
            }
        }
    }

    // ---- the kernel view ----

    /**
     * {@return a {@link KernelView} answering from this page table}: reserved pages appear as
     * {@link Protection#NONE} mappings, committed ones with their access, free ones not at all;
     * pages both writable and executable appear only in
     * {@link KernelView#writableExecutableMappings()}. Residency is not observable (empty): the
     * simulation cannot see which pages the host touched.
     */
    public KernelView kernelView() {
        return new View();
    }

    private final class View implements KernelView {
        @Override
        public List<Mapping> mappings(long address, long length) {
            List<Mapping> mappings = new ArrayList<>();
            for (Run run : runs(address, length)) {
                if (run.state() == PageState.FREE || writableExecutable(run.access())) {
                    continue;
                }
                Protection protection = run.state() == PageState.RESERVED ? Protection.NONE : protection(run.access());
                Mapping last = mappings.isEmpty() ? null : mappings.getLast();
                if (last != null && last.end() == run.start() && last.protection() == protection) {
                    mappings.set(mappings.size() - 1, new Mapping(last.start(), run.end(), protection));
                } else {
                    mappings.add(new Mapping(run.start(), run.end(), protection));
                }
            }
            return mappings;
        }

        @Override
        public List<String> writableExecutableMappings() {
            List<String> lines = new ArrayList<>();
            for (Run run : runs(base, byteSize)) {
                if (run.state() == PageState.COMMITTED && writableExecutable(run.access())) {
                    lines.add(Long.toHexString(run.start()) + "-" + Long.toHexString(run.end()) + " rwx "
                            + run.allocation().kind());
                }
            }
            return lines;
        }

        @Override
        public OptionalLong residentBytes(long address, long length) {
            return OptionalLong.empty();
        }

        @Override
        public OptionalInt numaNodeOf(long address) {
            synchronized (SimulatedAddressSpace.this) {
                if (!contains(address, 1) || states[page(address)] != PageState.COMMITTED) {
                    return OptionalInt.empty();
                }
                return OptionalInt.of(Math.max(0, owners[page(address)].numaNode()));
            }
        }

        @Override
        public OptionalLong mappingCount() {
            synchronized (SimulatedAddressSpace.this) {
                return OptionalLong.of(allocations.size());
            }
        }

        @Override
        public OptionalLong residentSetBytes() {
            return OptionalLong.empty();
        }
    }

    private static boolean writableExecutable(int access) {
        return (access & (WRITE | EXECUTE)) == (WRITE | EXECUTE);
    }

    private static Protection protection(int access) {
        if ((access & EXECUTE) != 0) {
            return Protection.READ_EXECUTE;
        }
        if ((access & WRITE) != 0) {
            return Protection.READ_WRITE;
        }
        return (access & READ) != 0 ? Protection.READ : Protection.NONE;
    }

    /**
     * Frees the host memory. Call only when no view of any simulated page is alive: the memory is
     * gone afterwards, so a live view would crash the JVM. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (rawFromCalloc) {
            Linker linker = Linker.nativeLinker();
            // SAFETY: the descriptor is free's prototype (C11 7.22.3.3); it frees only the block calloc gave.
            @SuppressWarnings("restricted")
            MethodHandle free = linker.downcallHandle(linker.defaultLookup().find("free").orElseThrow(),
                    FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
            try {
                free.invokeExact(raw);
            } catch (Throwable e) {
                throw new IllegalStateException("SimulatedAddressSpace.close(): free(" + Units.hex(raw.address()) + ")",
                        e);
            }
        } else {
            fallbackArena.close();
        }
    }

    @Override
    public String toString() {
        return "SimulatedAddressSpace[base=" + Units.hex(base) + ", byteSize=" + byteSize + ", pageBytes=" + pageBytes
                + "]";
    }
}
