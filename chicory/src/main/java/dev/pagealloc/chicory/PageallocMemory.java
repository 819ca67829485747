package dev.pagealloc.chicory;

import com.dylibso.chicory.runtime.ConstantEvaluators;
import com.dylibso.chicory.runtime.ImportMemory;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.InvalidException;
import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.PassiveDataSegment;
import dev.pagealloc.wasm.AtomicOp;
import dev.pagealloc.wasm.IndexType;
import dev.pagealloc.wasm.LinearMemory;
import dev.pagealloc.wasm.MemoryAccessTrap;
import dev.pagealloc.wasm.MemoryType;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.function.Function;

/**
 * A Chicory {@link Memory} over a pagealloc {@link LinearMemory}: guard regions, a base that never moves,
 * growth in place, and memories usable and releasable from any thread.
 *
 * <p>One line switches a Chicory user to it:
 * {@snippet :
 * Instance instance = Instance.builder(module).withMemoryFactory(PageallocMemory::create).build();
 * }
 * or, to release every memory the instance made in one place, a {@link PageallocMemoryFactory}.
 *
 * <p>Behaviour is Chicory's own memories' (as {@code ByteArrayMemory} 1.7.5 defines it), so a module sees
 * no difference: addresses are Chicory's {@code int}s, where a negative address is out of bounds (Chicory's
 * compiled code passes a negative address for an effective address past 2^31); sizes are capped at
 * {@link Memory#RUNTIME_MAX_PAGES}; an out-of-bounds access throws {@link WasmRuntimeException} with
 * Chicory's exact text ({@code out of bounds memory access: attempted to access address: A but limit is: L
 * and size: S}); a misaligned atomic access from host code throws {@link InvalidException}
 * {@code unaligned atomic}, as Chicory's interpreter and compiler do before they call a memory; waiting on
 * an unshared memory throws {@link ChicoryException}. Every other method is a single call to the
 * {@link LinearMemory}, which does bulk copies, fills, array reads and writes, every atomic width and
 * wait/notify natively.
 *
 * <p>Thread safety: as thread-safe as the {@link LinearMemory}, which is usable from any thread; the data
 * segments given to {@link #initialize} are published through a {@code volatile} field.
 *
 * <p>Lifecycle: Chicory's {@code Memory} has no {@code close}; this class is {@link AutoCloseable}.
 * {@link #close()} releases the linear memory when this object owns it ({@link #create}, {@link #owning},
 * {@link #preloaded});
 * a memory wrapped with {@link #wrapping} is left to its owner. After release, every access throws the
 * {@link LinearMemory}'s {@link IllegalStateException}.
 */
public final class PageallocMemory implements Memory, AutoCloseable {

    private final LinearMemory memory;
    private final MemoryLimits limits;
    private final boolean owned;
    private final boolean activeDataPreloaded;
    private volatile DataSegment[] dataSegments;
    /**
     * Whether the memory is as it was made (reading zero, or holding its preloaded active data) and Chicory has
     * not instantiated over it yet: the instantiation's {@link #zero()} then has nothing to do. Every store
     * reads it, so it is a plain field (a volatile read in each store would stop C2 from keeping anything in
     * registers across it): Chicory makes, zeroes and initializes a memory on the instantiating thread, and a
     * store racing another thread's first {@code zero()} is a data race in the guest program either way.
     */
    private boolean fresh;

    private PageallocMemory(LinearMemory memory, MemoryLimits limits, boolean owned, boolean activeDataPreloaded,
            boolean fresh) {
        this.memory = Objects.requireNonNull(memory, "memory");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.owned = owned;
        this.activeDataPreloaded = activeDataPreloaded;
        this.fresh = fresh;
    }

    /**
     * Creates a memory of its own for Chicory's limits: a {@link Memory} factory, as
     * {@code withMemoryFactory(PageallocMemory::create)}.
     *
     * @param limits the module's limits, in 64 KiB pages; the maximum is capped at
     *     {@link Memory#RUNTIME_MAX_PAGES} as Chicory's memories cap it
     * @return the memory, owning its linear memory (closing it releases the pages)
     * @throws NullPointerException if {@code limits} is null
     * @throws IllegalArgumentException if the linear memory refuses the type (see {@link LinearMemory#create})
     * @throws dev.pagealloc.api.PageAllocatorException if the reservation fails
     */
    public static PageallocMemory create(MemoryLimits limits) {
        Objects.requireNonNull(limits, "limits");
        return new PageallocMemory(LinearMemory.create(typeOf(limits)), limits, true, false, true);
    }

    /**
     * Wraps a linear memory this object then owns: {@link #close()} releases it. For linear memories from a
     * pool or with a copy-on-write image, made by the caller.
     *
     * @param memory the linear memory, 32-bit, 64 KiB pages
     * @param limits the limits Chicory reports ({@link #initialPages()}, {@link #maximumPages()},
     *     {@link #shared()}) and checks imports against
     * @return the memory
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code memory}'s page size is not 64 KiB or its index type not i32
     */
    public static PageallocMemory owning(LinearMemory memory, MemoryLimits limits) {
        return new PageallocMemory(checked(memory), limits, true, false, false);
    }

    /** As {@link #owning}, for a linear memory just made, reading zero (a factory's). */
    static PageallocMemory owningNew(LinearMemory memory, MemoryLimits limits) {
        return new PageallocMemory(checked(memory), limits, true, false, true);
    }

    /**
     * Wraps a linear memory this object then owns, which already holds the module's active data segments
     * (from a copy-on-write image of {@link ActiveData#of}): {@link #initialize} neither copies nor reads the
     * active segments (Chicory's {@code DataSegment.data()} clones the whole segment). The caller answers for
     * the image matching the module; an image that does not fit the memory is refused where it is mapped
     * ({@code MemoryPool.acquire}), not by Chicory's {@code UninstantiableException}.
     *
     * @param memory the linear memory, 32-bit, 64 KiB pages, holding the module's active data
     * @param limits the limits Chicory reports and checks imports against
     * @return the memory
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code memory}'s page size is not 64 KiB or its index type not i32
     */
    public static PageallocMemory preloaded(LinearMemory memory, MemoryLimits limits) {
        return new PageallocMemory(checked(memory), limits, true, true, true);
    }

    /**
     * Wraps a linear memory its caller keeps owning: {@link #close()} leaves it alive.
     *
     * @param memory the linear memory, 32-bit, 64 KiB pages
     * @param limits the limits Chicory reports and checks imports against
     * @return the memory
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code memory}'s page size is not 64 KiB or its index type not i32
     */
    public static PageallocMemory wrapping(LinearMemory memory, MemoryLimits limits) {
        return new PageallocMemory(checked(memory), limits, false, false, false);
    }

    /**
     * An imported memory on pagealloc, in one line:
     * {@code ImportValues.builder().addMemory(PageallocMemory.importMemory("env", "memory", limits))}.
     * Release it with {@code ((PageallocMemory) imported.memory()).close()}.
     *
     * @param module the import's module name
     * @param name the import's field name
     * @param limits the memory's limits, in 64 KiB pages
     * @return the import, holding a new memory of its own
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the linear memory refuses the type
     * @throws dev.pagealloc.api.PageAllocatorException if the reservation fails
     */
    public static ImportMemory importMemory(String module, String name, MemoryLimits limits) {
        return new ImportMemory(Objects.requireNonNull(module, "module"), Objects.requireNonNull(name, "name"),
                create(limits));
    }

    /**
     * {@return the linear memory type for Chicory's limits}: 32-bit, 64 KiB pages, the maximum capped at
     * {@link Memory#RUNTIME_MAX_PAGES}
     *
     * @param limits Chicory's limits, in pages
     */
    public static MemoryType typeOf(MemoryLimits limits) {
        return new MemoryType(IndexType.I32, MemoryType.WASM_PAGE_BYTES, limits.initialPages(),
                Math.min(limits.maximumPages(), RUNTIME_MAX_PAGES), limits.shared());
    }

    private static LinearMemory checked(LinearMemory memory) {
        Objects.requireNonNull(memory, "memory");
        MemoryType type = memory.type();
        if (type.pageBytes() != PAGE_SIZE || type.indexType() != IndexType.I32) {
            throw new IllegalArgumentException("memory: Chicory addresses 64 KiB pages with i32 indexes, but the "
                    + "memory has pageBytes=" + type.pageBytes() + " indexType=" + type.indexType());
        }
        return memory;
    }

    /** {@return the linear memory behind this Chicory memory, for host code (e.g. its segment)} */
    public LinearMemory linearMemory() {
        return memory;
    }

    /** {@return whether {@link #close()} releases the linear memory} */
    public boolean ownsLinearMemory() {
        return owned;
    }

    /** Releases the linear memory if this object owns it; idempotent, from any thread. */
    @Override
    public void close() {
        if (owned) {
            memory.close();
        }
    }

    // Sizes and growth.

    @Override
    public int pages() {
        return (int) memory.pages();
    }

    @Override
    public int grow(int size) {
        // Chicory's delta is an unsigned i32 (memory.grow's operand); a negative int is a delta past 2^31
        // pages, which no memory can take, and the linear memory answers it with -1 as it should.
        return (int) memory.grow(Integer.toUnsignedLong(size));
    }

    @Override
    public int initialPages() {
        return limits.initialPages();
    }

    @Override
    public int maximumPages() {
        return Math.min(limits.maximumPages(), RUNTIME_MAX_PAGES);
    }

    @Override
    public boolean shared() {
        return limits.shared();
    }

    // Data segments.

    @Override
    public void initialize(Instance instance, DataSegment[] segments) {
        initialize(instance, segments, 0);
    }

    @Override
    public void initialize(Instance instance, DataSegment[] segments, int memoryIndex) {
        fresh = false;
        this.dataSegments = segments;
        if (segments == null) {
            return;
        }
        for (DataSegment s : segments) {
            if (s instanceof ActiveDataSegment active) {
                if (active.index() != memoryIndex || activeDataPreloaded) {
                    // A preloaded memory holds its active data already; reading a segment's data() would
                    // clone the whole segment (Chicory's DataSegment.data() copies), the cost the image avoids.
                    continue;
                }
                byte[] data = active.data();
                int offset = (int) ConstantEvaluators.computeConstantValue(instance, active.offsetInstructions())[0];
                long limit = memory.byteSize();
                if (offset < 0 || offset > limit || (long) offset + data.length > limit) {
                    throw new UninstantiableException(outOfBoundsText(offset, limit, data.length));
                }
                write(offset, data, 0, data.length);
            } else if (!(s instanceof PassiveDataSegment)) {
                throw new ChicoryException("Data segment should be active or passive: " + s);
            }
        }
    }

    @Override
    public void initPassiveSegment(int segmentId, int dest, int offset, int size) {
        endFresh();
        byte[] data = dataSegments[segmentId].data();
        checkArray(offset, size, data.length);
        try {
            // Wrapping does not copy; a dropped segment is Chicory's empty one, so drop needs no state here.
            memory.init(Integer.toUnsignedLong(dest), new dev.pagealloc.wasm.DataSegment(data), offset, size);
        } catch (MemoryAccessTrap e) {
            throw outOfBounds(dest, size);
        }
    }

    @Override
    public void drop(int segment) {
        dataSegments[segment] = PassiveDataSegment.EMPTY;
    }

    // Bulk.

    @Override
    public void write(int addr, byte[] data, int offset, int size) {
        endFresh();
        checkArray(offset, size, data.length);
        try {
            memory.write(Integer.toUnsignedLong(addr), data, offset, size);
        } catch (MemoryAccessTrap e) {
            throw outOfBounds(addr, size);
        }
    }

    @Override
    public byte[] readBytes(int addr, int len) {
        if (len < 0) {
            throw outOfBounds(addr, len);
        }
        byte[] result = new byte[len];
        try {
            memory.read(Integer.toUnsignedLong(addr), result, 0, len);
        } catch (MemoryAccessTrap e) {
            throw outOfBounds(addr, len);
        }
        return result;
    }

    /**
     * Zeroes the whole memory, except on a memory still as it was made ({@link #create}, {@link #preloaded},
     * a {@link PageallocMemoryFactory}'s) that Chicory has not yet {@linkplain #initialize initialized}: that one
     * already reads zero (pages never written are zero), or, preloaded, holds exactly what zeroing and copying
     * the active data in would give, so the call does nothing. Chicory calls {@code zero()} on each memory it
     * made, first thing at instantiation ({@code Instance.initialize}, {@code Instance.java} line 190 in
     * Chicory 1.7.5, just before {@code Memory.initialize}); filling 16 MiB there would touch every page, and
     * on a copy-on-write image, copy each one. Only the first such call is skipped, and every call that can
     * change a byte (stores at every width, atomics, {@link #write(int, byte[], int, int)}, {@link #fill},
     * {@link #copy}, {@link #initPassiveSegment}) ends the skip too: a later {@code zero()} zeroes.
     */
    @Override
    public void zero() {
        if (fresh) {
            fresh = false;
            return;
        }
        memory.fill(0, (byte) 0, memory.byteSize());
    }

    /** Ends the skip of {@link #zero()}; a volatile read, and a write only the first time. */
    private void endFresh() {
        if (fresh) {
            fresh = false;
        }
    }

    @Override
    public void fill(byte value, int fromIndex, int toIndex) {
        endFresh();
        // Chicory passes toIndex = fromIndex + size in int arithmetic; the difference is the size again.
        int size = toIndex - fromIndex;
        if (size < 0) {
            throw outOfBounds(fromIndex, size);
        }
        try {
            memory.fill(Integer.toUnsignedLong(fromIndex), value, size);
        } catch (MemoryAccessTrap e) {
            throw outOfBounds(fromIndex, size);
        }
    }

    @Override
    public void copy(int dest, int src, int size) {
        endFresh();
        if (size < 0) {
            throw outOfBounds(dest, size);
        }
        try {
            memory.copy(Integer.toUnsignedLong(dest), Integer.toUnsignedLong(src), size);
        } catch (MemoryAccessTrap e) {
            // Chicory checks the destination first, then the source.
            throw outOfBounds(inBounds(dest, size) ? src : dest, size);
        }
    }

    // Loads and stores.

    @Override
    public byte read(int addr) {
        try {
            return memory.loadI8(Integer.toUnsignedLong(addr));
        } catch (MemoryAccessTrap e) {
            throw outOfBounds(addr, 1);
        }
    }

    @Override
    public long readU8(int addr) {
        try {
            return memory.loadU8(Integer.toUnsignedLong(addr));
        } catch (MemoryAccessTrap e) {
            throw outOfBounds(addr, 1);
        }
    }

    @Override
    public long readI8(int addr) {
        return read(addr);
    }

    @Override
    public void writeByte(int addr, byte data) {
        endFresh();
        try {
            memory.storeI8(Integer.toUnsignedLong(addr), data);
        } catch (MemoryAccessTrap e) {
            throw outOfBounds(addr, 1);
        }
    }

    @Override
    public short readShort(int addr) {
        try {
            return memory.loadI16(Integer.toUnsignedLong(addr));
        } catch (MemoryAccessTrap e) {
            throw loadTrap(addr, 2);
        }
    }

    @Override
    public long readI16(int addr) {
        return readShort(addr);
    }

    @Override
    public long readU16(int addr) {
        try {
            return memory.loadU16(Integer.toUnsignedLong(addr));
        } catch (MemoryAccessTrap e) {
            throw loadTrap(addr, 2);
        }
    }

    @Override
    public void writeShort(int addr, short data) {
        endFresh();
        try {
            memory.storeI16(Integer.toUnsignedLong(addr), data);
        } catch (MemoryAccessTrap e) {
            throw outOfBounds(addr, 2);
        }
    }

    @Override
    public int readInt(int addr) {
        try {
            return memory.loadI32(Integer.toUnsignedLong(addr));
        } catch (MemoryAccessTrap e) {
            throw loadTrap(addr, 4);
        }
    }

    @Override
    public long readI32(int addr) {
        return readInt(addr);
    }

    @Override
    public long readU32(int addr) {
        try {
            return memory.loadU32(Integer.toUnsignedLong(addr));
        } catch (MemoryAccessTrap e) {
            throw loadTrap(addr, 4);
        }
    }

    @Override
    public void writeI32(int addr, int data) {
        endFresh();
        try {
            memory.storeI32(Integer.toUnsignedLong(addr), data);
        } catch (MemoryAccessTrap e) {
            throw outOfBounds(addr, 4);
        }
    }

    @Override
    public long readLong(int addr) {
        try {
            return memory.loadI64(Integer.toUnsignedLong(addr));
        } catch (MemoryAccessTrap e) {
            throw loadTrap(addr, 8);
        }
    }

    @Override
    public long readI64(int addr) {
        return readLong(addr);
    }

    @Override
    public void writeLong(int addr, long data) {
        endFresh();
        try {
            memory.storeI64(Integer.toUnsignedLong(addr), data);
        } catch (MemoryAccessTrap e) {
            throw outOfBounds(addr, 8);
        }
    }

    @Override
    public float readFloat(int addr) {
        try {
            return memory.loadF32(Integer.toUnsignedLong(addr));
        } catch (MemoryAccessTrap e) {
            throw loadTrap(addr, 4);
        }
    }

    /** {@inheritDoc} As Chicory's memories: the raw bits, sign-extended from 32 bits. */
    @Override
    public long readF32(int addr) {
        return readInt(addr);
    }

    @Override
    public void writeF32(int addr, float data) {
        endFresh();
        try {
            memory.storeF32(Integer.toUnsignedLong(addr), data);
        } catch (MemoryAccessTrap e) {
            throw outOfBounds(addr, 4);
        }
    }

    @Override
    public double readDouble(int addr) {
        try {
            return memory.loadF64(Integer.toUnsignedLong(addr));
        } catch (MemoryAccessTrap e) {
            throw loadTrap(addr, 8);
        }
    }

    @Override
    public long readF64(int addr) {
        return readLong(addr);
    }

    @Override
    public void writeF64(int addr, double data) {
        endFresh();
        try {
            memory.storeF64(Integer.toUnsignedLong(addr), data);
        } catch (MemoryAccessTrap e) {
            throw outOfBounds(addr, 8);
        }
    }

    // Atomics: one call each at its width; the linear memory's results are zero-extended, Chicory's signed.

    @Override
    public void atomicFence() {
        VarHandle.fullFence();
    }

    @Override
    public byte atomicReadByte(int addr) {
        return (byte) atomicLoad(1, addr);
    }

    @Override
    public short atomicReadShort(int addr) {
        return (short) atomicLoad(2, addr);
    }

    @Override
    public int atomicReadInt(int addr) {
        return (int) atomicLoad(4, addr);
    }

    @Override
    public long atomicReadLong(int addr) {
        return atomicLoad(8, addr);
    }

    @Override
    public void atomicWriteByte(int addr, byte value) {
        atomicStore(1, addr, value);
    }

    @Override
    public void atomicWriteShort(int addr, short value) {
        atomicStore(2, addr, value);
    }

    @Override
    public void atomicWriteInt(int addr, int value) {
        atomicStore(4, addr, value);
    }

    @Override
    public void atomicWriteLong(int addr, long value) {
        atomicStore(8, addr, value);
    }

    @Override
    public byte atomicAddByte(int addr, byte delta) {
        return (byte) rmw(AtomicOp.ADD, 1, addr, delta);
    }

    @Override
    public short atomicAddShort(int addr, short delta) {
        return (short) rmw(AtomicOp.ADD, 2, addr, delta);
    }

    @Override
    public int atomicAddInt(int addr, int delta) {
        return (int) rmw(AtomicOp.ADD, 4, addr, delta);
    }

    @Override
    public long atomicAddLong(int addr, long delta) {
        return rmw(AtomicOp.ADD, 8, addr, delta);
    }

    @Override
    public byte atomicAndByte(int addr, byte mask) {
        return (byte) rmw(AtomicOp.AND, 1, addr, mask);
    }

    @Override
    public short atomicAndShort(int addr, short mask) {
        return (short) rmw(AtomicOp.AND, 2, addr, mask);
    }

    @Override
    public int atomicAndInt(int addr, int mask) {
        return (int) rmw(AtomicOp.AND, 4, addr, mask);
    }

    @Override
    public long atomicAndLong(int addr, long mask) {
        return rmw(AtomicOp.AND, 8, addr, mask);
    }

    @Override
    public byte atomicOrByte(int addr, byte mask) {
        return (byte) rmw(AtomicOp.OR, 1, addr, mask);
    }

    @Override
    public short atomicOrShort(int addr, short mask) {
        return (short) rmw(AtomicOp.OR, 2, addr, mask);
    }

    @Override
    public int atomicOrInt(int addr, int mask) {
        return (int) rmw(AtomicOp.OR, 4, addr, mask);
    }

    @Override
    public long atomicOrLong(int addr, long mask) {
        return rmw(AtomicOp.OR, 8, addr, mask);
    }

    @Override
    public byte atomicXorByte(int addr, byte mask) {
        return (byte) rmw(AtomicOp.XOR, 1, addr, mask);
    }

    @Override
    public short atomicXorShort(int addr, short mask) {
        return (short) rmw(AtomicOp.XOR, 2, addr, mask);
    }

    @Override
    public int atomicXorInt(int addr, int mask) {
        return (int) rmw(AtomicOp.XOR, 4, addr, mask);
    }

    @Override
    public long atomicXorLong(int addr, long mask) {
        return rmw(AtomicOp.XOR, 8, addr, mask);
    }

    @Override
    public byte atomicXchgByte(int addr, byte value) {
        return (byte) rmw(AtomicOp.EXCHANGE, 1, addr, value);
    }

    @Override
    public short atomicXchgShort(int addr, short value) {
        return (short) rmw(AtomicOp.EXCHANGE, 2, addr, value);
    }

    @Override
    public int atomicXchgInt(int addr, int value) {
        return (int) rmw(AtomicOp.EXCHANGE, 4, addr, value);
    }

    @Override
    public long atomicXchgLong(int addr, long value) {
        return rmw(AtomicOp.EXCHANGE, 8, addr, value);
    }

    @Override
    public byte atomicCmpxchgByte(int addr, byte expected, byte replacement) {
        return (byte) compareExchange(1, addr, expected, replacement);
    }

    @Override
    public short atomicCmpxchgShort(int addr, short expected, short replacement) {
        return (short) compareExchange(2, addr, expected, replacement);
    }

    @Override
    public int atomicCmpxchgInt(int addr, int expected, int replacement) {
        return (int) compareExchange(4, addr, expected, replacement);
    }

    @Override
    public long atomicCmpxchgLong(int addr, long expected, long replacement) {
        return compareExchange(8, addr, expected, replacement);
    }

    private long atomicLoad(int width, int addr) {
        try {
            return memory.atomicLoad(width, Integer.toUnsignedLong(addr));
        } catch (MemoryAccessTrap e) {
            throw atomicTrap(addr, width);
        }
    }

    private void atomicStore(int width, int addr, long value) {
        endFresh();
        try {
            memory.atomicStore(width, Integer.toUnsignedLong(addr), value);
        } catch (MemoryAccessTrap e) {
            throw atomicTrap(addr, width);
        }
    }

    private long rmw(AtomicOp op, int width, int addr, long operand) {
        endFresh();
        try {
            return memory.atomicRmw(op, width, Integer.toUnsignedLong(addr), operand);
        } catch (MemoryAccessTrap e) {
            throw atomicTrap(addr, width);
        }
    }

    private long compareExchange(int width, int addr, long expected, long replacement) {
        endFresh();
        try {
            return memory.atomicCompareExchange(width, Integer.toUnsignedLong(addr), expected, replacement);
        } catch (MemoryAccessTrap e) {
            throw atomicTrap(addr, width);
        }
    }

    // Wait and notify.

    @Override
    public int atomicWait(int addr, int expected, long timeout) {
        requireShared();
        try {
            return memory.wait32(Integer.toUnsignedLong(addr), expected, timeout);
        } catch (MemoryAccessTrap e) {
            throw atomicTrap(addr, 4);
        }
    }

    @Override
    public int atomicWait(int addr, long expected, long timeout) {
        requireShared();
        try {
            return memory.wait64(Integer.toUnsignedLong(addr), expected, timeout);
        } catch (MemoryAccessTrap e) {
            throw atomicTrap(addr, 8);
        }
    }

    /**
     * {@code memory.atomic.notify}: wakes up to {@code maxThreads} threads waiting at {@code addr}. On an
     * unshared memory it wakes none and returns 0, but, unlike Chicory's own memories (which return 0 there
     * without looking at the address), it still traps on a misaligned or out-of-bounds address, as the
     * threads proposal says: "Both notify and wait operators trap if the effective address of either
     * operator is misaligned or out-of-bounds. Wait operators additionally trap if used on an unshared
     * linear memory" ({@code proposals/threads/Overview.md}, "Wait and Notify operators"). The official
     * scripts have no such case, so the side-by-side spec run sees no difference.
     *
     * @param addr the address, as Chicory's {@code int}; a multiple of 4
     * @param maxThreads the most to wake, unsigned
     * @return how many were woken
     * @throws WasmRuntimeException if {@code addr + 4} passes the memory's size (Chicory's text)
     * @throws InvalidException {@code unaligned atomic} if {@code addr} is in bounds but not a multiple of 4
     */
    @Override
    public int atomicNotify(int addr, int maxThreads) {
        try {
            return memory.notify(Integer.toUnsignedLong(addr), maxThreads);
        } catch (MemoryAccessTrap e) {
            throw atomicTrap(addr, 4);
        }
    }

    /**
     * {@inheritDoc} Not supported, as in Chicory's own memories: atomics need no lock object here.
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    @Deprecated(forRemoval = true)
    @SuppressWarnings("removal")
    public Object lock(int address) {
        throw new UnsupportedOperationException("PageallocMemory has no lock objects: its atomics are lock-free");
    }

    /** {@inheritDoc} Same as {@link #atomicWait(int, int, long)}. */
    @Override
    @Deprecated(forRemoval = true)
    @SuppressWarnings("removal")
    public int waitOn(int address, int expected, long timeout) {
        return atomicWait(address, expected, timeout);
    }

    /** {@inheritDoc} Same as {@link #atomicWait(int, long, long)}. */
    @Override
    @Deprecated(forRemoval = true)
    @SuppressWarnings("removal")
    public int waitOn(int address, long expected, long timeout) {
        return atomicWait(address, expected, timeout);
    }

    /** {@inheritDoc} Same as {@link #atomicNotify(int, int)}. */
    @Override
    @Deprecated(forRemoval = true)
    @SuppressWarnings("removal")
    public int notify(int address, int maxThreads) {
        return atomicNotify(address, maxThreads);
    }

    // Failure paths: kept out of the accessors so that those stay small enough to inline.

    private void requireShared() {
        if (!limits.shared()) {
            throw new ChicoryException("Attempt to wait on a non-shared memory, not supported.");
        }
    }

    private boolean inBounds(int addr, int size) {
        return addr >= 0 && size >= 0 && (long) addr + size <= memory.byteSize();
    }

    private RuntimeException atomicTrap(int addr, int size) {
        // An atomic access in bounds trapped for its alignment (the linear memory checks both).
        return inBounds(addr, size) ? new InvalidException("unaligned atomic") : outOfBounds(addr, size);
    }

    private WasmRuntimeException loadTrap(int addr, int size) {
        // Chicory reads a value that crosses one of its 64 KiB pages byte by byte (ByteArrayMemory.readIntSlow
        // and its siblings), so its message names the first byte out of bounds, with size 1.
        if ((addr & (PAGE_SIZE - 1)) + size > PAGE_SIZE) {
            long limit = memory.byteSize();
            for (int i = 0; i < size; i++) {
                int a = addr + i;
                if (a < 0 || a >= limit) {
                    return outOfBounds(a, 1);
                }
            }
        }
        return outOfBounds(addr, size);
    }

    private WasmRuntimeException outOfBounds(int addr, int size) {
        return new WasmRuntimeException(outOfBoundsText(addr, memory.byteSize(), size));
    }

    private static void checkArray(int offset, int size, int length) {
        if (offset < 0 || size < 0 || offset > length || (size > 0 && (long) offset + size > length)) {
            throw new WasmRuntimeException(outOfBoundsText(offset, length, size));
        }
    }

    /** Chicory's exact text ({@code ByteArrayMemory.checkBounds}), so messages match to the character. */
    static String outOfBoundsText(long addr, long limit, int size) {
        return "out of bounds memory access: attempted to access address: " + addr + " but limit is: " + limit
                + " and size: " + size;
    }

    /**
     * {@return a factory of memories of their own}, as {@link #create}: for
     * {@code Instance.builder(module).withMemoryFactory(PageallocMemory.factory())}
     */
    public static Function<MemoryLimits, Memory> factory() {
        return PageallocMemory::create;
    }
}
