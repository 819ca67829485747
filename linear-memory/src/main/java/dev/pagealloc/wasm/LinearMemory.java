package dev.pagealloc.wasm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;
import static java.nio.ByteOrder.LITTLE_ENDIAN;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Reference;
import java.util.Objects;
import java.util.concurrent.CancellationException;

/**
 * A WebAssembly linear memory: bounds-checked little-endian loads and stores, bulk operations, atomics
 * and wait/notify, usable from any thread, released from any thread.
 *
 * <h2 id="addresses">Addresses and traps</h2>
 * Every {@code address} is an effective address, unsigned: an {@link IndexType#I32} memory's addresses
 * are {@code [0, 2^32)} (pass {@code Integer.toUnsignedLong(i32)}), an {@link IndexType#I64} memory's
 * are {@code [0, 2^64)}, so a negative {@code long} is an address at or above 2^63. Compute it with
 * {@link #effectiveAddress(long, long)}, which traps instead of wrapping. An access of {@code n} bytes
 * at {@code address} is in bounds when {@code address + n <= byteSize()}; otherwise it throws
 * {@link MemoryAccessTrap} (message {@code "out of bounds memory access: address=0x..., widthBytes=n,
 * memoryBytes=..."}) and changes nothing. No JDK {@code IndexOutOfBoundsException} escapes from a memory
 * access.
 *
 * <h2 id="views">Growth, threads and the fast path</h2>
 * The memory only grows and its base never moves. A memory of its own ({@link #create}) answers its loads
 * and stores through one constant segment of the global scope and a bound in a <em>plain</em> field: an
 * access in bounds is one comparison and one load or store, with no arena to check (a shared arena's
 * liveness check was a chain of three dependent loads per access, the largest part of what Chicory's
 * compiled code paid here; the bench README has the assembly). The mapping behind it stays mapped while
 * this object is reachable (see <a href="#release">Release</a>), so no stale bound can reach an unmapped
 * page. A pool's memory has no such guarantee (its slot goes to the next owner), so it, like every bulk
 * and atomic operation, goes through a view kept in a plain field and re-reads the storage's current view
 * only when the access misses (a {@code volatile} field cost up to 3.6x a raw segment in host-side loops).
 * A miss that still misses after the re-read traps. A thread sees another thread's {@link #grow} at its
 * next miss, at the latest: an access that lands in the grown pages misses its stale bound or view,
 * re-reads the storage's and finds them committed and zero (the storage publishes the pages before the
 * size).
 *
 * <h2 id="release">Release</h2>
 * {@link #close()} releases the memory from any thread. Afterwards every access on the closing thread
 * throws {@link IllegalStateException} ("memory released"), never a trap. Another thread may still hold
 * the old bound or view: its accesses then reach only this memory's own pages, never another memory's
 * bytes, and never fault. For a memory of its own, {@code close()} drops the pages at once (they read
 * zero, or an image's bytes, and their memory goes back to the system) and the reservation stays mapped
 * until this object is unreachable, when the core deallocates it ({@link dev.pagealloc.api.DeferredUnmap}: the
 * address space, the mappings and the budget charge are given back then; creation asks for a garbage collection
 * when many closed reservations wait, and a creation refused for want of them runs one and retries). A
 * memory that is never closed is deallocated the same way, and views from {@link #segment()} that outlive
 * it then throw {@link IllegalStateException}.
 * A pool's memory keeps its slot from any new owner until the pool closes the views' arenas, after which
 * stale accesses throw {@link IllegalStateException}. So a racing access may still succeed briefly after
 * {@code close()} returns; a runtime that needs a hard stop stops its threads first.
 *
 * <h2 id="atomics">Atomics</h2>
 * Atomic accesses are sequentially consistent, at widths 1, 2, 4 and 8 bytes; an address that is not a
 * multiple of the width traps with {@code "unaligned atomic"}. The order of the checks is alignment,
 * then bounds, then (for a wait) sharing, as wasmtime's {@code tests/misc_testsuite/threads/
 * atomics_wait_address.wast} pins it. Atomic accesses are allowed on unshared memories too; as the
 * threads proposal's spec test {@code test/core/threads/wait_notify.wast} requires, {@code wait32/64} on
 * an unshared memory traps ({@code "expected shared memory"}, even when it would not block) and
 * {@code notify} on one returns 0 (after its alignment and bounds checks).
 *
 * <p>Thread-safe. Non-atomic accesses that race on the same bytes see some mix of the racing values,
 * as WebAssembly specifies; they never fail because of the race.
 */
public final class LinearMemory implements AutoCloseable {

    private static final ValueLayout.OfShort I16 = JAVA_SHORT_UNALIGNED.withOrder(LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = JAVA_INT_UNALIGNED.withOrder(LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = JAVA_LONG_UNALIGNED.withOrder(LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = JAVA_FLOAT_UNALIGNED.withOrder(LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = JAVA_DOUBLE_UNALIGNED.withOrder(LITTLE_ENDIAN);
    private static final int V128_BYTES = 16;

    /**
     * All of the address space, in the global scope, so that an access through it checks no arena: the fast
     * path's one segment, a constant. Only addresses inside a live mapping this class keeps (see
     * {@link #fastLimit}) ever reach it.
     */
    private static final MemorySegment EVERYTHING = everything();
    /** Bits 0 to 61: every user-space address of a 64-bit platform (see {@link #userBase()}). */
    private static final long USER_ADDRESS_MASK = (1L << 62) - 1;

    private final MemoryType type;
    private final MemoryStorage storage;
    /** The address of byte 0; 0 for a memory without the fast path. */
    private final long base;
    /**
     * The fast path's bound, in bytes: {@code [base, base + fastLimit)} is committed and stays mapped while
     * this object is reachable; 0 for a memory without the fast path and after {@link #close()}. Plain on
     * purpose, as {@link #view}; written only under {@link #fastLock}.
     */
    private long fastLimit;
    private final Object fastLock = new Object();
    /** Plain on purpose (see the class comment): a stale value is a smaller correct view. */
    private MemorySegment view = MemorySegment.NULL;
    /** Null when narrow atomics may use their containing word; else every atomic access locks it. */
    private final Object serialAtomics;
    /** Null for unshared memories, which have no waiters. */
    private final Waiters waiters;

    LinearMemory(MemoryType type, MemoryStorage storage) {
        this.type = type;
        this.storage = storage;
        if (storage instanceof RegionStorage own) {
            own.unmapWhenUnreachable(this);
            this.base = own.address();
            this.fastLimit = own.byteSize();
        } else {
            this.base = 0;
        }
        this.serialAtomics = Atomics.wordSafe(type.pageBytes()) ? null : new Object();
        this.waiters = type.shared() ? new Waiters() : null;
    }

    /**
     * Creates a memory of its own on a pagealloc region, with the default reservation
     * ({@link MemoryOptions#DEFAULT}: for a 32-bit memory the whole index space plus guards).
     *
     * @param type the memory's type
     * @return the memory, usable and closeable from any thread
     * @throws dev.pagealloc.api.PageAllocatorException if the platform refuses the reservation or the commit
     */
    public static LinearMemory create(MemoryType type) {
        return create(type, MemoryOptions.DEFAULT);
    }

    /** {@return the memory's type} */
    public MemoryType type() {
        return type;
    }

    /** {@return the size, in pages} */
    public long pages() {
        return storage.byteSize() / type.pageBytes();
    }

    /** {@return the size, in bytes} */
    public long byteSize() {
        return storage.byteSize();
    }

    /**
     * WebAssembly's {@code memory.grow}.
     *
     * @param deltaPages pages to add, unsigned
     * @return the old size in pages, or -1 when refused
     */
    public long grow(long deltaPages) {
        if (base == 0) {
            return storage.grow(deltaPages);
        }
        synchronized (fastLock) {
            long old = storage.grow(deltaPages);
            if (old >= 0) {
                fastLimit = storage.byteSize(); // after the kernel committed the pages
            }
            return old;
        }
    }

    /**
     * {@return the effective address {@code base + offset}}, unsigned
     *
     * @param base the address operand, unsigned: below 2^32 for an {@link IndexType#I32} memory
     * @param offset the instruction's offset immediate, unsigned: below 2^32 for an {@link IndexType#I32}
     *     memory
     * @throws MemoryAccessTrap if the sum passes the index type's range (2^32 or 2^64): such an address is
     *     out of bounds of any memory of the type, and WebAssembly never wraps it
     * @throws IllegalArgumentException if the memory is {@link IndexType#I32} and {@code base} or
     *     {@code offset} is not an unsigned 32-bit value (a sign-extended {@code int}, say)
     */
    public long effectiveAddress(long base, long offset) {
        long sum = base + offset;
        if (type.indexType() == IndexType.I32) {
            if (((base | offset) >>> Integer.SIZE) != 0) {
                throw new IllegalArgumentException("effectiveAddress(base=" + MemoryAccessTrap.hex(base)
                        + ", offset=" + MemoryAccessTrap.hex(offset) + "): an i32 memory's base and offset are "
                        + "unsigned 32-bit values, below 2^32; pass Integer.toUnsignedLong(value)");
            }
            if ((sum >>> Integer.SIZE) != 0) {
                throw MemoryAccessTrap.overflow(base, offset, IndexType.I32, storage.byteSize());
            }
        } else if (Long.compareUnsigned(sum, base) < 0) {
            throw MemoryAccessTrap.overflow(base, offset, IndexType.I64, storage.byteSize());
        }
        return sum;
    }

    // Loads and stores. The fast path is one segment access on the plain field; the segment's own bounds
    // check throws IndexOutOfBoundsException only for bounds, and IllegalStateException only when its
    // arena is closed, and only those two are caught, then answered by missed(), which re-reads the
    // storage's view, checks the bounds itself and either traps, reports the release, or returns the
    // view that fits. No other exception is caught, so none is misreported as a trap.

    /**
     * {@code i32.load8_s}: loads a byte.
     *
     * @param address the address, unsigned
     * @return the byte, signed
     * @throws MemoryAccessTrap if {@code address + 1 > byteSize()}
     * @throws IllegalStateException if the memory was released
     */
    public byte loadI8(long address) {
        if (address >= 0 && address <= fastLimit - Byte.BYTES) {
            byte value = EVERYTHING.get(JAVA_BYTE, userBase() + address);
            Reference.reachabilityFence(this);
            return value;
        }
        return viewedLoadI8(address);
    }

    /**
     * {@code i32.load8_u}: loads a byte.
     *
     * @param address the address, unsigned
     * @return the byte, zero-extended, in {@code [0, 255]}
     * @throws MemoryAccessTrap if {@code address + 1 > byteSize()}
     * @throws IllegalStateException if the memory was released
     */
    public int loadU8(long address) {
        return Byte.toUnsignedInt(loadI8(address));
    }

    /**
     * {@code i32.load16_s}: loads a little-endian 16-bit value at any alignment.
     *
     * @param address the address, unsigned
     * @return the value, signed
     * @throws MemoryAccessTrap if {@code address + 2 > byteSize()}
     * @throws IllegalStateException if the memory was released
     */
    public short loadI16(long address) {
        if (address >= 0 && address <= fastLimit - Short.BYTES) {
            short value = EVERYTHING.get(I16, userBase() + address);
            Reference.reachabilityFence(this);
            return value;
        }
        return viewedLoadI16(address);
    }

    /**
     * {@code i32.load16_u}: loads a little-endian 16-bit value at any alignment.
     *
     * @param address the address, unsigned
     * @return the value, zero-extended, in {@code [0, 65535]}
     * @throws MemoryAccessTrap if {@code address + 2 > byteSize()}
     * @throws IllegalStateException if the memory was released
     */
    public int loadU16(long address) {
        return Short.toUnsignedInt(loadI16(address));
    }

    /**
     * {@code i32.load}, {@code i64.load32_s}: loads a little-endian 32-bit value at any alignment.
     *
     * @param address the address, unsigned
     * @return the value, signed
     * @throws MemoryAccessTrap if {@code address + 4 > byteSize()}
     * @throws IllegalStateException if the memory was released
     */
    public int loadI32(long address) {
        if (address >= 0 && address <= fastLimit - Integer.BYTES) {
            int value = EVERYTHING.get(I32, userBase() + address);
            Reference.reachabilityFence(this);
            return value;
        }
        return viewedLoadI32(address);
    }

    /**
     * {@code i64.load32_u}: loads a little-endian 32-bit value at any alignment.
     *
     * @param address the address, unsigned
     * @return the value, zero-extended, in {@code [0, 2^32)}
     * @throws MemoryAccessTrap if {@code address + 4 > byteSize()}
     * @throws IllegalStateException if the memory was released
     */
    public long loadU32(long address) {
        return Integer.toUnsignedLong(loadI32(address));
    }

    /**
     * {@code i64.load}: loads a little-endian 64-bit value at any alignment.
     *
     * @param address the address, unsigned
     * @return the value
     * @throws MemoryAccessTrap if {@code address + 8 > byteSize()}
     * @throws IllegalStateException if the memory was released
     */
    public long loadI64(long address) {
        if (address >= 0 && address <= fastLimit - Long.BYTES) {
            long value = EVERYTHING.get(I64, userBase() + address);
            Reference.reachabilityFence(this);
            return value;
        }
        return viewedLoadI64(address);
    }

    /**
     * {@code f32.load}: loads a little-endian IEEE 754 single at any alignment, NaN payloads kept.
     *
     * @param address the address, unsigned
     * @return the value
     * @throws MemoryAccessTrap if {@code address + 4 > byteSize()}
     * @throws IllegalStateException if the memory was released
     */
    public float loadF32(long address) {
        if (address >= 0 && address <= fastLimit - Float.BYTES) {
            float value = EVERYTHING.get(F32, userBase() + address);
            Reference.reachabilityFence(this);
            return value;
        }
        return viewedLoadF32(address);
    }

    /**
     * {@code f64.load}: loads a little-endian IEEE 754 double at any alignment, NaN payloads kept.
     *
     * @param address the address, unsigned
     * @return the value
     * @throws MemoryAccessTrap if {@code address + 8 > byteSize()}
     * @throws IllegalStateException if the memory was released
     */
    public double loadF64(long address) {
        if (address >= 0 && address <= fastLimit - Double.BYTES) {
            double value = EVERYTHING.get(F64, userBase() + address);
            Reference.reachabilityFence(this);
            return value;
        }
        return viewedLoadF64(address);
    }

    /**
     * {@code v128.load}: copies 16 bytes, in memory order (lane 0's low byte first).
     *
     * @param address the address, unsigned
     * @param destination receives the bytes at indices {@code [0, 16)}
     * @throws MemoryAccessTrap if {@code address + 16 > byteSize()}
     * @throws IllegalArgumentException if {@code destination.length < 16}
     * @throws IllegalStateException if the memory was released
     */
    public void loadV128(long address, byte[] destination) {
        requireV128(destination, "loadV128", "destination");
        read(address, destination, 0, V128_BYTES);
    }

    /**
     * {@code i32.store8}, {@code i64.store8}.
     *
     * @param address the address, unsigned
     * @param value the byte
     * @throws MemoryAccessTrap if {@code address + 1 > byteSize()}
     * @throws IllegalStateException if the memory was released
     */
    public void storeI8(long address, byte value) {
        if (address >= 0 && address <= fastLimit - Byte.BYTES) {
            EVERYTHING.set(JAVA_BYTE, userBase() + address, value);
            Reference.reachabilityFence(this);
            return;
        }
        viewedStoreI8(address, value);
    }

    /**
     * {@code i32.store16}, {@code i64.store16}: stores little-endian at any alignment.
     *
     * @param address the address, unsigned
     * @param value the value
     * @throws MemoryAccessTrap if {@code address + 2 > byteSize()}
     * @throws IllegalStateException if the memory was released
     */
    public void storeI16(long address, short value) {
        if (address >= 0 && address <= fastLimit - Short.BYTES) {
            EVERYTHING.set(I16, userBase() + address, value);
            Reference.reachabilityFence(this);
            return;
        }
        viewedStoreI16(address, value);
    }

    /**
     * {@code i32.store}, {@code i64.store32}: stores little-endian at any alignment.
     *
     * @param address the address, unsigned
     * @param value the value
     * @throws MemoryAccessTrap if {@code address + 4 > byteSize()}
     * @throws IllegalStateException if the memory was released
     */
    public void storeI32(long address, int value) {
        if (address >= 0 && address <= fastLimit - Integer.BYTES) {
            EVERYTHING.set(I32, userBase() + address, value);
            Reference.reachabilityFence(this);
            return;
        }
        viewedStoreI32(address, value);
    }

    /**
     * {@code i64.store}: stores little-endian at any alignment.
     *
     * @param address the address, unsigned
     * @param value the value
     * @throws MemoryAccessTrap if {@code address + 8 > byteSize()}
     * @throws IllegalStateException if the memory was released
     */
    public void storeI64(long address, long value) {
        if (address >= 0 && address <= fastLimit - Long.BYTES) {
            EVERYTHING.set(I64, userBase() + address, value);
            Reference.reachabilityFence(this);
            return;
        }
        viewedStoreI64(address, value);
    }

    /**
     * {@code f32.store}: stores little-endian at any alignment, NaN payloads kept.
     *
     * @param address the address, unsigned
     * @param value the value
     * @throws MemoryAccessTrap if {@code address + 4 > byteSize()}
     * @throws IllegalStateException if the memory was released
     */
    public void storeF32(long address, float value) {
        if (address >= 0 && address <= fastLimit - Float.BYTES) {
            EVERYTHING.set(F32, userBase() + address, value);
            Reference.reachabilityFence(this);
            return;
        }
        viewedStoreF32(address, value);
    }

    /**
     * {@code f64.store}: stores little-endian at any alignment, NaN payloads kept.
     *
     * @param address the address, unsigned
     * @param value the value
     * @throws MemoryAccessTrap if {@code address + 8 > byteSize()}
     * @throws IllegalStateException if the memory was released
     */
    public void storeF64(long address, double value) {
        if (address >= 0 && address <= fastLimit - Double.BYTES) {
            EVERYTHING.set(F64, userBase() + address, value);
            Reference.reachabilityFence(this);
            return;
        }
        viewedStoreF64(address, value);
    }

    /**
     * {@code v128.store}: copies 16 bytes, in memory order.
     *
     * @param address the address, unsigned
     * @param source the bytes at indices {@code [0, 16)}
     * @throws MemoryAccessTrap if {@code address + 16 > byteSize()}
     * @throws IllegalArgumentException if {@code source.length < 16}
     * @throws IllegalStateException if the memory was released
     */
    public void storeV128(long address, byte[] source) {
        requireV128(source, "storeV128", "source");
        write(address, source, 0, V128_BYTES);
    }

    // Bulk. Each checks its whole range first (WebAssembly's bulk-memory rule: an operation out of
    // bounds traps and writes nothing), then makes one copy or fill on a view that covers it.

    /**
     * Copies {@code length} bytes from the memory into an array.
     *
     * @param address the first byte's address, unsigned
     * @param destination the array
     * @param offset the first index written in {@code destination}
     * @param length the byte count
     * @throws MemoryAccessTrap if {@code address + length > byteSize()}; nothing is copied
     * @throws IndexOutOfBoundsException if {@code [offset, offset + length)} is not inside
     *     {@code destination} (checked first)
     * @throws IllegalStateException if the memory was released
     */
    public void read(long address, byte[] destination, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, destination.length);
        MemorySegment covering = covering(address, length);
        try {
            MemorySegment.copy(covering, JAVA_BYTE, address, destination, offset, length);
        } catch (IllegalStateException e) {
            throw released(e, address);
        }
    }

    /**
     * Copies {@code length} bytes from an array into the memory.
     *
     * @param address the first byte's address, unsigned
     * @param source the array
     * @param offset the first index read in {@code source}
     * @param length the byte count
     * @throws MemoryAccessTrap if {@code address + length > byteSize()}; nothing is written
     * @throws IndexOutOfBoundsException if {@code [offset, offset + length)} is not inside {@code source}
     *     (checked first)
     * @throws IllegalStateException if the memory was released
     */
    public void write(long address, byte[] source, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, source.length);
        MemorySegment covering = covering(address, length);
        try {
            MemorySegment.copy(source, offset, covering, JAVA_BYTE, address, length);
        } catch (IllegalStateException e) {
            throw released(e, address);
        }
    }

    /**
     * {@code memory.fill}.
     *
     * @param address the first byte's address, unsigned
     * @param value the byte
     * @param length the byte count, unsigned
     * @throws MemoryAccessTrap if {@code address + length > byteSize()} (also when {@code length} is 0
     *     and {@code address > byteSize()}); nothing is written
     * @throws IllegalStateException if the memory was released
     */
    public void fill(long address, byte value, long length) {
        MemorySegment covering = covering(address, length);
        try {
            covering.asSlice(address, length).fill(value);
        } catch (IllegalStateException e) {
            throw released(e, address);
        }
    }

    /**
     * {@code memory.copy} within this memory; the ranges may overlap either way (the result is as if the
     * source were first copied to a buffer).
     *
     * @param destination the first byte written, unsigned
     * @param source the first byte read, unsigned
     * @param length the byte count, unsigned
     * @throws MemoryAccessTrap if either range passes {@code byteSize()}; nothing is written
     * @throws IllegalStateException if the memory was released
     */
    public void copy(long destination, long source, long length) {
        // MemorySegment.copy: "the copy occurs as if the source segment contents were first copied into an
        // intermediate buffer", so one call handles overlap in both directions.
        covering(source, length);
        MemorySegment covering = covering(destination, length);
        try {
            MemorySegment.copy(covering, source, covering, destination, length);
        } catch (IllegalStateException e) {
            throw released(e, destination);
        }
    }

    /**
     * {@code memory.copy} between two memories (multi-memory); {@code from == to} is
     * {@link #copy(long, long, long)}.
     *
     * @param from the memory read
     * @param source the first byte read in {@code from}, unsigned
     * @param to the memory written
     * @param destination the first byte written in {@code to}, unsigned
     * @param length the byte count, unsigned
     * @throws MemoryAccessTrap if either range passes its memory's size; nothing is written
     * @throws IllegalStateException if either memory was released
     */
    public static void copy(LinearMemory from, long source, LinearMemory to, long destination, long length) {
        if (from == to) {
            from.copy(destination, source, length);
            return;
        }
        MemorySegment read = from.covering(source, length);
        MemorySegment written = to.covering(destination, length);
        try {
            MemorySegment.copy(read, source, written, destination, length);
        } catch (IllegalStateException e) {
            throw from.storage.isReleased() ? from.released(e, source) : to.released(e, destination);
        }
    }

    /**
     * {@code memory.init}: copies part of a passive data segment into the memory.
     *
     * @param address the first byte written, unsigned
     * @param segment the data segment (empty once {@linkplain DataSegment#drop() dropped})
     * @param segmentOffset the first byte read in the segment, unsigned
     * @param length the byte count, unsigned
     * @throws MemoryAccessTrap if {@code segmentOffset + length} passes the segment's size or
     *     {@code address + length} passes {@code byteSize()}; nothing is written
     * @throws IllegalStateException if the memory was released
     */
    public void init(long address, DataSegment segment, long segmentOffset, long length) {
        byte[] bytes = segment.bytes();
        if (!fits(segmentOffset, length, bytes.length)) {
            throw new MemoryAccessTrap(MemoryAccessTrap.Kind.OUT_OF_BOUNDS.specText() + ": init(segmentOffset="
                    + Long.toUnsignedString(segmentOffset) + ", length=" + Long.toUnsignedString(length)
                    + ") passes the data segment's " + bytes.length + " bytes");
        }
        MemorySegment covering = covering(address, length);
        try {
            MemorySegment.copy(bytes, (int) segmentOffset, covering, JAVA_BYTE, address, (int) length);
        } catch (IllegalStateException e) {
            throw released(e, address);
        }
    }

    // Atomics.

    /**
     * An atomic load ({@code *.atomic.load*}).
     *
     * @param widthBytes 1, 2, 4 or 8
     * @param address the address, unsigned; a multiple of {@code widthBytes}
     * @return the value, zero-extended
     * @throws MemoryAccessTrap if {@code address} is not a multiple of {@code widthBytes} ("unaligned
     *     atomic"), or {@code address + widthBytes > byteSize()}
     * @throws IllegalArgumentException if {@code widthBytes} is not 1, 2, 4 or 8
     * @throws IllegalStateException if the memory was released
     */
    public long atomicLoad(int widthBytes, long address) {
        MemorySegment covering = atomicCovering(widthBytes, address);
        try {
            if (serialAtomics == null) {
                return Atomics.load(covering, widthBytes, address);
            }
            synchronized (serialAtomics) {
                return Atomics.serialLoad(covering, widthBytes, address);
            }
        } catch (IllegalStateException e) {
            throw released(e, address);
        }
    }

    /**
     * An atomic store ({@code *.atomic.store*}).
     *
     * @param widthBytes 1, 2, 4 or 8
     * @param address the address, unsigned; a multiple of {@code widthBytes}
     * @param value the value; its low {@code widthBytes} bytes are stored
     * @throws MemoryAccessTrap if {@code address} is not a multiple of {@code widthBytes}, or
     *     {@code address + widthBytes > byteSize()}
     * @throws IllegalArgumentException if {@code widthBytes} is not 1, 2, 4 or 8
     * @throws IllegalStateException if the memory was released
     */
    public void atomicStore(int widthBytes, long address, long value) {
        MemorySegment covering = atomicCovering(widthBytes, address);
        try {
            if (serialAtomics == null) {
                Atomics.store(covering, widthBytes, address, value);
                return;
            }
            synchronized (serialAtomics) {
                Atomics.serialStore(covering, widthBytes, address, value);
            }
        } catch (IllegalStateException e) {
            throw released(e, address);
        }
    }

    /**
     * An atomic read-modify-write ({@code *.atomic.rmw*}).
     *
     * @param op the operation
     * @param widthBytes 1, 2, 4 or 8
     * @param address the address, unsigned; a multiple of {@code widthBytes}
     * @param operand the operand; its low {@code widthBytes} bytes are used
     * @return the old value, zero-extended
     * @throws MemoryAccessTrap if {@code address} is not a multiple of {@code widthBytes}, or
     *     {@code address + widthBytes > byteSize()}
     * @throws IllegalArgumentException if {@code widthBytes} is not 1, 2, 4 or 8
     * @throws IllegalStateException if the memory was released
     */
    public long atomicRmw(AtomicOp op, int widthBytes, long address, long operand) {
        Objects.requireNonNull(op, "op");
        MemorySegment covering = atomicCovering(widthBytes, address);
        try {
            if (serialAtomics == null) {
                return Atomics.rmw(covering, op, widthBytes, address, operand);
            }
            synchronized (serialAtomics) {
                return Atomics.serialRmw(covering, op, widthBytes, address, operand);
            }
        } catch (IllegalStateException e) {
            throw released(e, address);
        }
    }

    /**
     * An atomic compare-exchange ({@code *.atomic.rmw*.cmpxchg}): replaces the value if it equals
     * {@code expected}'s low {@code widthBytes} bytes.
     *
     * @param widthBytes 1, 2, 4 or 8
     * @param address the address, unsigned; a multiple of {@code widthBytes}
     * @param expected the expected value; its low {@code widthBytes} bytes are compared
     * @param replacement the new value; its low {@code widthBytes} bytes are stored
     * @return the old value, zero-extended (equal to the expected bytes when replaced)
     * @throws MemoryAccessTrap if {@code address} is not a multiple of {@code widthBytes}, or
     *     {@code address + widthBytes > byteSize()}
     * @throws IllegalArgumentException if {@code widthBytes} is not 1, 2, 4 or 8
     * @throws IllegalStateException if the memory was released
     */
    public long atomicCompareExchange(int widthBytes, long address, long expected, long replacement) {
        MemorySegment covering = atomicCovering(widthBytes, address);
        try {
            if (serialAtomics == null) {
                return Atomics.compareExchange(covering, widthBytes, address, expected, replacement);
            }
            synchronized (serialAtomics) {
                return Atomics.serialCompareExchange(covering, widthBytes, address, expected, replacement);
            }
        } catch (IllegalStateException e) {
            throw released(e, address);
        }
    }

    /**
     * {@code memory.atomic.wait32}: waits until notified, if the 32-bit value at {@code address} equals
     * {@code expected}. The comparison and the joining of the queue are one step against
     * {@link #notify}: a thread that stores a new value and then notifies cannot slip between them.
     *
     * @param address the address, unsigned; a multiple of 4
     * @param expected the value
     * @param timeoutNanos the longest wait, in nanoseconds; negative: no limit
     * @return 0 woken by {@link #notify}, 1 the value was not {@code expected}, 2 timed out
     * @throws MemoryAccessTrap if {@code address} is not a multiple of 4, if {@code address + 4 >
     *     byteSize()}, or if the memory is not shared ("expected shared memory"), checked in that order
     * @throws CancellationException if the thread is interrupted while waiting; it has left the queue
     *     and its interrupt status is set
     * @throws IllegalStateException if the memory was released
     */
    public int wait32(long address, int expected, long timeoutNanos) {
        return await(Integer.BYTES, address, Integer.toUnsignedLong(expected), timeoutNanos);
    }

    /**
     * {@code memory.atomic.wait64}: as {@link #wait32}, for the 64-bit value at {@code address}.
     *
     * @param address the address, unsigned; a multiple of 8
     * @param expected the value
     * @param timeoutNanos the longest wait, in nanoseconds; negative: no limit
     * @return 0 woken by {@link #notify}, 1 the value was not {@code expected}, 2 timed out
     * @throws MemoryAccessTrap if {@code address} is not a multiple of 8, if {@code address + 8 >
     *     byteSize()}, or if the memory is not shared, checked in that order
     * @throws CancellationException if the thread is interrupted while waiting; it has left the queue
     *     and its interrupt status is set
     * @throws IllegalStateException if the memory was released
     */
    public int wait64(long address, long expected, long timeoutNanos) {
        return await(Long.BYTES, address, expected, timeoutNanos);
    }

    /**
     * {@code memory.atomic.notify}: wakes up to {@code count} threads waiting at {@code address}, the
     * longest-waiting first.
     *
     * @param address the address, unsigned; a multiple of 4
     * @param count the most to wake, unsigned (so -1 wakes all)
     * @return how many were woken; always 0 on an unshared memory, which has no waiters
     * @throws MemoryAccessTrap if {@code address} is not a multiple of 4 or {@code address + 4 > byteSize()}
     * @throws IllegalStateException if the memory was released
     */
    public int notify(long address, int count) {
        atomicCovering(Integer.BYTES, address);
        return waiters == null ? 0 : waiters.notify(address, Integer.toUnsignedLong(count));
    }

    /** {@return a view of the memory's current bytes, for host code, usable from any thread} */
    public MemorySegment segment() {
        return storage.view();
    }

    /** {@return whether the memory is still usable} */
    public boolean isAlive() {
        return !storage.isReleased();
    }

    /**
     * Releases the memory (to the kernel, or to its pool); idempotent, from any thread. Accesses from
     * this thread fail from now on; see <a href="#release">Release</a> for other threads. Threads blocked
     * in {@link #wait32}/{@link #wait64} are woken (they return 0, and their next access throws), since
     * no {@link #notify} can reach them any more.
     */
    @Override
    public void close() {
        view = MemorySegment.NULL;
        synchronized (fastLock) {
            fastLimit = 0;
            storage.release();
        }
        if (waiters != null) {
            waiters.wakeAll();
        }
    }

    /**
     * {@return {@link #base}, masked to the user half of the address space} The mask changes nothing (user-space
     * addresses are below 2^56 on x86-64 with 5-level paging, kernel {@code Documentation/arch/x86/x86_64/mm.rst},
     * and below 2^52 on arm64, {@code Documentation/arch/arm64/memory.rst}), but it tells the JIT that
     * {@code base + address} cannot overflow when the address is known to be small (an {@code i32} index, a
     * tagged pointer's masked address), so the constant segment's own bounds check folds away. Loop-invariant:
     * hoisted out of a loop of accesses.
     */
    private long userBase() {
        return base & USER_ADDRESS_MASK;
    }

    @SuppressWarnings("restricted")
    private static MemorySegment everything() {
        // SAFETY: the segment is never handed out; every access through it is first checked against
        // fastLimit, which covers only committed pages of a mapping this memory keeps alive.
        return MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    }

    /** {@return the wait queues, null for an unshared memory}, for tests */
    Waiters waiters() {
        return waiters;
    }

    // The slow paths.

    private byte viewedLoadI8(long address) {
        try {
            return view.get(JAVA_BYTE, address);
        } catch (IndexOutOfBoundsException | IllegalStateException e) {
            return missed(address, Byte.BYTES, e).get(JAVA_BYTE, address);
        }
    }

    private short viewedLoadI16(long address) {
        try {
            return view.get(I16, address);
        } catch (IndexOutOfBoundsException | IllegalStateException e) {
            return missed(address, Short.BYTES, e).get(I16, address);
        }
    }

    private int viewedLoadI32(long address) {
        try {
            return view.get(I32, address);
        } catch (IndexOutOfBoundsException | IllegalStateException e) {
            return missed(address, Integer.BYTES, e).get(I32, address);
        }
    }

    private long viewedLoadI64(long address) {
        try {
            return view.get(I64, address);
        } catch (IndexOutOfBoundsException | IllegalStateException e) {
            return missed(address, Long.BYTES, e).get(I64, address);
        }
    }

    private float viewedLoadF32(long address) {
        try {
            return view.get(F32, address);
        } catch (IndexOutOfBoundsException | IllegalStateException e) {
            return missed(address, Float.BYTES, e).get(F32, address);
        }
    }

    private double viewedLoadF64(long address) {
        try {
            return view.get(F64, address);
        } catch (IndexOutOfBoundsException | IllegalStateException e) {
            return missed(address, Double.BYTES, e).get(F64, address);
        }
    }

    private void viewedStoreI8(long address, byte value) {
        try {
            view.set(JAVA_BYTE, address, value);
        } catch (IndexOutOfBoundsException | IllegalStateException e) {
            missed(address, Byte.BYTES, e).set(JAVA_BYTE, address, value);
        }
    }

    private void viewedStoreI16(long address, short value) {
        try {
            view.set(I16, address, value);
        } catch (IndexOutOfBoundsException | IllegalStateException e) {
            missed(address, Short.BYTES, e).set(I16, address, value);
        }
    }

    private void viewedStoreI32(long address, int value) {
        try {
            view.set(I32, address, value);
        } catch (IndexOutOfBoundsException | IllegalStateException e) {
            missed(address, Integer.BYTES, e).set(I32, address, value);
        }
    }

    private void viewedStoreI64(long address, long value) {
        try {
            view.set(I64, address, value);
        } catch (IndexOutOfBoundsException | IllegalStateException e) {
            missed(address, Long.BYTES, e).set(I64, address, value);
        }
    }

    private void viewedStoreF32(long address, float value) {
        try {
            view.set(F32, address, value);
        } catch (IndexOutOfBoundsException | IllegalStateException e) {
            missed(address, Float.BYTES, e).set(F32, address, value);
        }
    }

    private void viewedStoreF64(long address, double value) {
        try {
            view.set(F64, address, value);
        } catch (IndexOutOfBoundsException | IllegalStateException e) {
            missed(address, Double.BYTES, e).set(F64, address, value);
        }
    }


    /** The view an access of {@code lengthBytes} at {@code address} can use, or the trap. */
    private MemorySegment covering(long address, long lengthBytes) {
        MemorySegment current = view;
        return fits(address, lengthBytes, current.byteSize()) ? current : missed(address, lengthBytes, null);
    }

    /**
     * An access missed the plain field's view (or found its arena closed): re-reads the storage's view,
     * keeps it, and returns it if the access fits, else traps.
     */
    private MemorySegment missed(long address, long lengthBytes, RuntimeException cause) {
        MemorySegment current;
        try {
            current = storage.view();
        } catch (IllegalStateException e) {
            if (cause != null) {
                e.addSuppressed(cause);
            }
            throw released(e, address);
        }
        view = current;
        if (!fits(address, lengthBytes, current.byteSize())) {
            throw MemoryAccessTrap.outOfBounds(address, lengthBytes, current.byteSize());
        }
        return current;
    }

    private MemorySegment atomicCovering(int widthBytes, long address) {
        if (widthBytes != 1 && widthBytes != 2 && widthBytes != 4 && widthBytes != 8) {
            throw new IllegalArgumentException("atomic access(widthBytes=" + widthBytes + ", address="
                    + MemoryAccessTrap.hex(address) + "): widthBytes must be 1, 2, 4 or 8");
        }
        if ((address & (widthBytes - 1)) != 0) {
            throw MemoryAccessTrap.unaligned(address, widthBytes, view.byteSize());
        }
        return covering(address, widthBytes);
    }

    private int await(int widthBytes, long address, long expected, long timeoutNanos) {
        MemorySegment covering = atomicCovering(widthBytes, address);
        if (waiters == null) {
            throw MemoryAccessTrap.unsharedWait(address, widthBytes, covering.byteSize());
        }
        try {
            return waiters.await(address, () -> Atomics.load(covering, widthBytes, address) == expected,
                    timeoutNanos);
        } catch (IllegalStateException e) {
            throw released(e, address);
        }
    }

    /** The release, stated plainly; any other IllegalStateException passes unchanged. */
    private IllegalStateException released(IllegalStateException cause, long address) {
        if (!storage.isReleased()) {
            return cause;
        }
        return new IllegalStateException("memory released: access at address=" + MemoryAccessTrap.hex(address)
                + " after close()", cause);
    }

    /** Whether {@code [address, address + lengthBytes)}, both unsigned, lies in {@code [0, byteSize)}. */
    private static boolean fits(long address, long lengthBytes, long byteSize) {
        // Sizes are below 2^63, so an unsigned address or length at or above 2^63 (negative) never fits,
        // and byteSize - lengthBytes cannot overflow once both are non-negative.
        return address >= 0 && lengthBytes >= 0 && address <= byteSize - lengthBytes;
    }

    private static void requireV128(byte[] bytes, String operation, String name) {
        if (bytes.length < V128_BYTES) {
            throw new IllegalArgumentException(operation + "(" + name + ".length=" + bytes.length
                    + "): needs " + V128_BYTES + " bytes");
        }
    }

    /**
     * Creates a memory of its own on a pagealloc region: its reservation per {@code options} (by default the
     * whole 32-bit index space plus guards, see {@link MemoryOptions}), its minimum committed and reading zero.
     *
     * @param type the memory's type
     * @param options the reservation strategy and guards
     * @return the memory, usable and closeable from any thread
     * @throws dev.pagealloc.api.PageAllocatorException if the platform refuses the reservation or the commit
     */
    public static LinearMemory create(MemoryType type, MemoryOptions options) {
        return new LinearMemory(type, RegionStorage.create(type, options, null));
    }

    /**
     * Creates a memory of its own holding {@code image}'s bytes, mapped copy-on-write where the platform can.
     *
     * @param type the memory's type; its minimum holds the image
     * @param image the initial contents
     * @return the memory
     * @throws IllegalArgumentException if the image passes the minimum
     * @throws IllegalStateException if the image is closed
     * @throws dev.pagealloc.api.PageAllocatorException if the platform refuses the reservation, the commit or
     *     the mapping
     */
    public static LinearMemory create(MemoryType type, MemoryImage image) {
        return new LinearMemory(type, RegionStorage.create(type, MemoryOptions.DEFAULT, image));
    }
}
