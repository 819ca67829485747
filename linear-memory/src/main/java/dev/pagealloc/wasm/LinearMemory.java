package dev.pagealloc.wasm;

import java.lang.foreign.MemorySegment;

/**
 * A WebAssembly linear memory.
 *
 * <p>SKELETON: the signatures here are the agreed surface; the access part fills in the accessors, the
 * storage part {@link #create} and the storage behind it. Addresses are effective addresses, unsigned.
 */
public final class LinearMemory implements AutoCloseable {

    private final MemoryType type;
    private final MemoryStorage storage;

    LinearMemory(MemoryType type, MemoryStorage storage) {
        this.type = type;
        this.storage = storage;
    }

    /**
     * Creates a memory of its own (storage part).
     *
     * @param type the memory's type
     * @return the memory
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
        return storage.grow(deltaPages);
    }

    /**
     * {@return the effective address {@code base + offset}}, unsigned
     *
     * @param base the address operand
     * @param offset the instruction's offset immediate
     * @throws MemoryAccessTrap if the sum passes the index type's range
     */
    public long effectiveAddress(long base, long offset) {
        throw new UnsupportedOperationException("skeleton");
    }

    // Loads. Narrow loads come signed (loadI8, loadI16, loadI32 as int/long) and unsigned (loadU8, ...).

    /** @param address the address @return the value */
    public byte loadI8(long address) {
        throw new UnsupportedOperationException("skeleton");
    }

    /** @param address the address @return the value, zero-extended */
    public int loadU8(long address) {
        throw new UnsupportedOperationException("skeleton");
    }

    /** @param address the address @return the value */
    public short loadI16(long address) {
        throw new UnsupportedOperationException("skeleton");
    }

    /** @param address the address @return the value, zero-extended */
    public int loadU16(long address) {
        throw new UnsupportedOperationException("skeleton");
    }

    /** @param address the address @return the value */
    public int loadI32(long address) {
        throw new UnsupportedOperationException("skeleton");
    }

    /** @param address the address @return the value, zero-extended */
    public long loadU32(long address) {
        throw new UnsupportedOperationException("skeleton");
    }

    /** @param address the address @return the value */
    public long loadI64(long address) {
        throw new UnsupportedOperationException("skeleton");
    }

    /** @param address the address @return the value */
    public float loadF32(long address) {
        throw new UnsupportedOperationException("skeleton");
    }

    /** @param address the address @return the value */
    public double loadF64(long address) {
        throw new UnsupportedOperationException("skeleton");
    }

    /** @param address the address @param destination 16 bytes, little-endian lane order */
    public void loadV128(long address, byte[] destination) {
        throw new UnsupportedOperationException("skeleton");
    }

    /** @param address the address @param value the value */
    public void storeI8(long address, byte value) {
        throw new UnsupportedOperationException("skeleton");
    }

    /** @param address the address @param value the value */
    public void storeI16(long address, short value) {
        throw new UnsupportedOperationException("skeleton");
    }

    /** @param address the address @param value the value */
    public void storeI32(long address, int value) {
        throw new UnsupportedOperationException("skeleton");
    }

    /** @param address the address @param value the value */
    public void storeI64(long address, long value) {
        throw new UnsupportedOperationException("skeleton");
    }

    /** @param address the address @param value the value */
    public void storeF32(long address, float value) {
        throw new UnsupportedOperationException("skeleton");
    }

    /** @param address the address @param value the value */
    public void storeF64(long address, double value) {
        throw new UnsupportedOperationException("skeleton");
    }

    /** @param address the address @param source 16 bytes */
    public void storeV128(long address, byte[] source) {
        throw new UnsupportedOperationException("skeleton");
    }

    // Bulk.

    /** @param address from @param destination to @param offset in destination @param length bytes */
    public void read(long address, byte[] destination, int offset, int length) {
        throw new UnsupportedOperationException("skeleton");
    }

    /** @param address to @param source from @param offset in source @param length bytes */
    public void write(long address, byte[] source, int offset, int length) {
        throw new UnsupportedOperationException("skeleton");
    }

    /** {@code memory.fill}. @param address to @param value the byte @param length bytes */
    public void fill(long address, byte value, long length) {
        throw new UnsupportedOperationException("skeleton");
    }

    /** {@code memory.copy}, overlapping either way. @param destination to @param source from @param length bytes */
    public void copy(long destination, long source, long length) {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * {@code memory.copy} between two memories (multi-memory).
     *
     * @param from source memory @param source from @param to destination memory @param destination to
     * @param length bytes
     */
    public static void copy(LinearMemory from, long source, LinearMemory to, long destination, long length) {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * {@code memory.init}.
     *
     * @param address to @param segment the data segment @param segmentOffset from @param length bytes
     */
    public void init(long address, DataSegment segment, long segmentOffset, long length) {
        throw new UnsupportedOperationException("skeleton");
    }

    // Atomics (shared memories; also allowed on unshared memories where the threads proposal allows).

    /** @param widthBytes 1, 2, 4 or 8 @param address the address @return the value, zero-extended */
    public long atomicLoad(int widthBytes, long address) {
        throw new UnsupportedOperationException("skeleton");
    }

    /** @param widthBytes 1, 2, 4 or 8 @param address the address @param value the low bytes are stored */
    public void atomicStore(int widthBytes, long address, long value) {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * @param op the operation @param widthBytes 1, 2, 4 or 8 @param address the address
     * @param operand the operand's low bytes @return the old value, zero-extended
     */
    public long atomicRmw(AtomicOp op, int widthBytes, long address, long operand) {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * @param widthBytes 1, 2, 4 or 8 @param address the address @param expected the expected value's low bytes
     * @param replacement the new value's low bytes @return the old value, zero-extended
     */
    public long atomicCompareExchange(int widthBytes, long address, long expected, long replacement) {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * {@code memory.atomic.wait32}.
     *
     * @param address the address @param expected the value @param timeoutNanos negative: forever
     * @return 0 woken, 1 not equal, 2 timed out
     */
    public int wait32(long address, int expected, long timeoutNanos) {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * {@code memory.atomic.wait64}.
     *
     * @param address the address @param expected the value @param timeoutNanos negative: forever
     * @return 0 woken, 1 not equal, 2 timed out
     */
    public int wait64(long address, long expected, long timeoutNanos) {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * {@code memory.atomic.notify}.
     *
     * @param address the address @param count waiters to wake, unsigned @return waiters woken
     */
    public int notify(long address, int count) {
        throw new UnsupportedOperationException("skeleton");
    }

    /** {@return a view of the memory's current bytes, for host code, usable from any thread} */
    public MemorySegment segment() {
        return storage.view();
    }

    /** {@return whether the memory is still usable} */
    public boolean isAlive() {
        return !storage.isReleased();
    }

    /** Releases the memory (to the kernel, or to its pool); idempotent, from any thread. */
    @Override
    public void close() {
        storage.release();
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
