package dev.pagealloc.tagging;

import dev.pagealloc.api.MemoryTagging;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.TagMismatchException;
import dev.pagealloc.api.TagSpace;
import dev.pagealloc.wasm.LinearMemory;
import dev.pagealloc.wasm.MemoryType;
import java.util.function.IntUnaryOperator;
import java.util.function.LongUnaryOperator;

/**
 * A tag-checked view of a WebAssembly linear memory, for a host that tags the allocations a guest asks for
 * (a {@code malloc} the guest imports, say): {@link #allocate(long, long)} tags a range of the memory and
 * returns a tagged pointer, the index in bits 0 to 55 and the tag in 56 to 59; loads and stores through the
 * view check the pointer's tag against the range's before {@link LinearMemory} does the access (and its
 * bounds check); {@link #free(long, long)} retags, so a pointer kept after the free fails. The memory itself
 * is unchanged: plain accesses through it see no tags.
 *
 * <p>Tags live in a {@link SoftwareTagSpace} over the memory's whole index range (its declared maximum, or
 * the index type's limit for a 32-bit memory without one), committed as allocations are tagged.
 *
 * <p>Thread-safe as the memory and the tag space are. Each accessor throws {@link TagMismatchException} when
 * the tags differ in a mode that reports the access at once (nothing is read or written then),
 * {@link IndexOutOfBoundsException} for a pointer outside the tagged range, and what the memory's own
 * accessor throws ({@code MemoryAccessTrap} past {@code byteSize()}).
 */
public final class TaggedLinearMemory implements AutoCloseable {
    private final LinearMemory memory;
    private final SoftwareTagSpace tags;

    private TaggedLinearMemory(LinearMemory memory, SoftwareTagSpace tags) {
        this.memory = memory;
        this.tags = tags;
    }

    /**
     * {@return a tagged view of {@code memory}}, shadow from {@link TagSpaces#defaultShadowAllocator()}
     *
     * @param memory the linear memory
     * @param tagging the check mode and include mask; policy {@link MemoryTagging.TaggingPolicy#SOFTWARE}
     * @throws IllegalArgumentException if the policy is not SOFTWARE, or a 64-bit memory declares no maximum
     * @throws dev.pagealloc.api.PageAllocatorException if the shadow cannot be reserved
     */
    public static TaggedLinearMemory of(LinearMemory memory, MemoryTagging tagging) {
        return of(memory, tagging, TagSpaces.defaultShadowAllocator());
    }

    /**
     * Same as {@link #of(LinearMemory, MemoryTagging)} with the shadow from {@code shadowAllocator}.
     *
     * @param memory the linear memory
     * @param tagging the check mode and include mask; policy SOFTWARE
     * @param shadowAllocator an allocator with shared views
     * @return the view; close it to release the shadow
     * @throws IllegalArgumentException if the policy is not SOFTWARE, or a 64-bit memory declares no maximum
     * @throws dev.pagealloc.api.PageAllocatorException if the shadow cannot be reserved
     */
    public static TaggedLinearMemory of(LinearMemory memory, MemoryTagging tagging, PageAllocator shadowAllocator) {
        MemoryType type = memory.type();
        long pages = type.maximumPages() != MemoryType.NO_MAXIMUM ? type.maximumPages()
                : MemoryType.pageLimit(type.indexType(), type.pageBytes());
        long maximumBytes;
        try {
            maximumBytes = Math.multiplyExact(pages, type.pageBytes());
        } catch (ArithmeticException e) {
            maximumBytes = Long.MAX_VALUE;
        }
        if (maximumBytes > TagSpace.ADDRESS_MASK) {
            throw new IllegalArgumentException("TaggedLinearMemory.of(type=" + type + "): the tagged range must be"
                    + " below 2^56 bytes; declare a maximum");
        }
        // Base 0: pointers are indexes, so the accessors use the space's checkIndex.
        return new TaggedLinearMemory(memory, SoftwareTagSpace.create(shadowAllocator, tagging, 0,
                Math.max(maximumBytes, TagSpace.GRANULE_BYTES)));
    }

    /** {@return the memory} */
    public LinearMemory memory() {
        return memory;
    }

    /** {@return the tags; pointers are indexes of the memory with a tag} */
    public TagSpace tags() {
        return tags;
    }

    /**
     * Tags a guest allocation and returns the pointer to hand out.
     *
     * @param index the allocation's first byte; a multiple of {@value TagSpace#GRANULE_BYTES}
     * @param byteLength its length, in bytes, {@code >= 1}; rounded up to a multiple of
     *     {@value TagSpace#GRANULE_BYTES} (the allocator must keep the rounded range to this allocation)
     * @return the tagged pointer
     * @throws IllegalArgumentException if {@code index} is misaligned or {@code byteLength < 1}
     * @throws IndexOutOfBoundsException if the range passes the memory's maximum
     */
    public long allocate(long index, long byteLength) {
        return tags.tagNew(index, granules(byteLength));
    }

    /**
     * Retags a freed allocation: every pointer to it stops working.
     *
     * @param pointer the pointer {@link #allocate(long, long)} returned
     * @param byteLength the length given to {@link #allocate(long, long)}, in bytes
     * @throws TagMismatchException if {@code pointer} is stale (a double free); nothing changes
     * @throws IllegalArgumentException if {@code byteLength < 1}
     */
    public void free(long pointer, long byteLength) {
        tags.retag(pointer, granules(byteLength));
    }

    private static long granules(long byteLength) {
        if (byteLength < 1 || byteLength > TagSpace.ADDRESS_MASK) {
            throw new IllegalArgumentException("byteLength=" + byteLength + ": must be within [1, 2^56)");
        }
        return (byteLength + TagSpace.GRANULE_BYTES - 1) & -TagSpace.GRANULE_BYTES;
    }

    /**
     * {@code i32.load8_s} through a tagged pointer.
     *
     * @param pointer a tagged pointer
     * @return the byte
     */
    public byte loadI8(long pointer) {
        return memory.loadI8(tags.checkIndex(pointer, 1, false));
    }

    /**
     * {@code i32.load16_s} through a tagged pointer.
     *
     * @param pointer a tagged pointer
     * @return the value
     */
    public short loadI16(long pointer) {
        return memory.loadI16(tags.checkIndex(pointer, 2, false));
    }

    /**
     * {@code i32.load} through a tagged pointer.
     *
     * @param pointer a tagged pointer
     * @return the value
     */
    public int loadI32(long pointer) {
        return memory.loadI32(tags.checkIndex(pointer, 4, false));
    }

    /**
     * {@code i64.load} through a tagged pointer.
     *
     * @param pointer a tagged pointer
     * @return the value
     */
    public long loadI64(long pointer) {
        return memory.loadI64(tags.checkIndex(pointer, 8, false));
    }

    /**
     * {@code f32.load} through a tagged pointer.
     *
     * @param pointer a tagged pointer
     * @return the value
     */
    public float loadF32(long pointer) {
        return memory.loadF32(tags.checkIndex(pointer, 4, false));
    }

    /**
     * {@code f64.load} through a tagged pointer.
     *
     * @param pointer a tagged pointer
     * @return the value
     */
    public double loadF64(long pointer) {
        return memory.loadF64(tags.checkIndex(pointer, 8, false));
    }

    /**
     * {@code i32.store8} through a tagged pointer.
     *
     * @param pointer a tagged pointer
     * @param value the value
     */
    public void storeI8(long pointer, byte value) {
        memory.storeI8(tags.checkIndex(pointer, 1, true), value);
    }

    /**
     * {@code i32.store16} through a tagged pointer.
     *
     * @param pointer a tagged pointer
     * @param value the value
     */
    public void storeI16(long pointer, short value) {
        memory.storeI16(tags.checkIndex(pointer, 2, true), value);
    }

    /**
     * {@code i32.store} through a tagged pointer.
     *
     * @param pointer a tagged pointer
     * @param value the value
     */
    public void storeI32(long pointer, int value) {
        memory.storeI32(tags.checkIndex(pointer, 4, true), value);
    }

    /**
     * {@code i64.store} through a tagged pointer.
     *
     * @param pointer a tagged pointer
     * @param value the value
     */
    public void storeI64(long pointer, long value) {
        memory.storeI64(tags.checkIndex(pointer, 8, true), value);
    }

    /**
     * {@code f32.store} through a tagged pointer.
     *
     * @param pointer a tagged pointer
     * @param value the value
     */
    public void storeF32(long pointer, float value) {
        memory.storeF32(tags.checkIndex(pointer, 4, true), value);
    }

    /**
     * {@code f64.store} through a tagged pointer.
     *
     * @param pointer a tagged pointer
     * @param value the value
     */
    public void storeF64(long pointer, double value) {
        memory.storeF64(tags.checkIndex(pointer, 8, true), value);
    }

    /**
     * Loads the i32 at {@code pointer}, stores {@code update} of it back and returns the value stored, with one
     * tag check for both accesses (the load's: a mode that reports loads at once throws before either access; one
     * that reports later records the load's mismatch, the first of the pair). Not atomic: another thread's store
     * in between is lost, as with a separate load and store.
     *
     * @param pointer a tagged pointer
     * @param update the new value from the old; runs between the load and the store
     * @return the value stored
     * @throws TagMismatchException if the tags differ in a mode that reports loads at once; nothing is read or
     *     written
     * @throws NullPointerException if {@code update} is null
     */
    public int updateI32(long pointer, IntUnaryOperator update) {
        long index = tags.checkIndex(pointer, Integer.BYTES, false);
        int value = update.applyAsInt(memory.loadI32(index));
        memory.storeI32(index, value);
        return value;
    }

    /**
     * Same as {@link #updateI32(long, IntUnaryOperator)} for an i64: one tag check for the load and the store.
     *
     * @param pointer a tagged pointer
     * @param update the new value from the old; runs between the load and the store
     * @return the value stored
     * @throws TagMismatchException if the tags differ in a mode that reports loads at once; nothing is read or
     *     written
     * @throws NullPointerException if {@code update} is null
     */
    public long updateI64(long pointer, LongUnaryOperator update) {
        long index = tags.checkIndex(pointer, Long.BYTES, false);
        long value = update.applyAsLong(memory.loadI64(index));
        memory.storeI64(index, value);
        return value;
    }

    /**
     * {@code memory.copy} between tagged ranges (overlap-safe); both are checked, every granule, first.
     *
     * @param destinationPointer a tagged pointer to the first byte written
     * @param sourcePointer a tagged pointer to the first byte read
     * @param byteLength the length, in bytes; {@code >= 1}
     */
    public void copy(long destinationPointer, long sourcePointer, long byteLength) {
        long from = tags.checkIndex(sourcePointer, byteLength, false);
        long to = tags.checkIndex(destinationPointer, byteLength, true);
        memory.copy(to, from, byteLength);
    }

    /**
     * Copies bytes out of the memory.
     *
     * @param pointer a tagged pointer to the first byte read
     * @param destination the array
     * @param offset the first array index written
     * @param length the byte count; {@code >= 1}
     */
    public void read(long pointer, byte[] destination, int offset, int length) {
        memory.read(tags.checkIndex(pointer, length, false), destination, offset, length);
    }

    /**
     * Copies bytes into the memory.
     *
     * @param pointer a tagged pointer to the first byte written
     * @param source the array
     * @param offset the first array index read
     * @param length the byte count; {@code >= 1}
     */
    public void write(long pointer, byte[] source, int offset, int length) {
        memory.write(tags.checkIndex(pointer, length, true), source, offset, length);
    }

    /**
     * {@return a checked view of the allocation {@code pointer} points to}: its tags are verified now, for the
     * whole range, and again before any access that follows a tag change anywhere in this memory (a free), so
     * the view of a freed allocation fails its next access; accesses past its end are refused. Between tag
     * changes an access costs a bounds check and one compare instead of a shadow load.
     *
     * @param pointer a tagged pointer to the first byte of the view
     * @param byteLength the view's length, in bytes; {@code >= 1}
     * @throws TagMismatchException if the range's tags are not the pointer's
     * @throws IndexOutOfBoundsException if the range is outside the memory's maximum
     */
    public CheckedView view(long pointer, long byteLength) {
        return new CheckedView(pointer, byteLength);
    }

    /**
     * A tag-checked window on one allocation (see {@link TaggedLinearMemory#view(long, long)}). Offsets are from
     * the view's first byte. Not thread-safe: one thread uses a view (make one per thread). A free in another
     * thread is seen at the view's next access once that thread has synchronized with the freeing one (the
     * count of tag changes is read plainly, as the shadow is).
     */
    public final class CheckedView {
        private final long pointer;
        private final long index;
        private final long byteLength;
        private long verifiedAt;

        private CheckedView(long pointer, long byteLength) {
            this.pointer = pointer;
            this.byteLength = byteLength;
            this.verifiedAt = tags.changes();
            this.index = tags.checkIndex(pointer, byteLength, false);
        }

        /** {@return the view's length, in bytes} */
        public long byteLength() {
            return byteLength;
        }

        private long at(long byteOffset, int width, boolean store) {
            if (byteOffset < 0 || byteOffset > byteLength - width) {
                throw new IndexOutOfBoundsException("view(pointer=0x" + Long.toHexString(pointer) + ", byteLength="
                        + byteLength + "): offset " + byteOffset + " + " + width + " passes the end");
            }
            if (tags.changes() != verifiedAt) {
                verify(store);
            }
            return index + byteOffset;
        }

        private void verify(boolean store) {
            long now = tags.changes();
            tags.checkIndex(pointer, byteLength, store);
            verifiedAt = now;
        }

        /**
         * {@return the i32 at {@code byteOffset}}
         *
         * @param byteOffset from the view's start; {@code 0 <= byteOffset <= byteLength() - 4}
         * @throws TagMismatchException if the allocation was freed since the view was checked
         * @throws IndexOutOfBoundsException past the view's end
         */
        public int loadI32(long byteOffset) {
            return memory.loadI32(at(byteOffset, 4, false));
        }

        /**
         * {@return the i64 at {@code byteOffset}}
         *
         * @param byteOffset from the view's start; {@code 0 <= byteOffset <= byteLength() - 8}
         * @throws TagMismatchException if the allocation was freed since the view was checked
         * @throws IndexOutOfBoundsException past the view's end
         */
        public long loadI64(long byteOffset) {
            return memory.loadI64(at(byteOffset, 8, false));
        }

        /**
         * Stores an i32.
         *
         * @param byteOffset from the view's start; {@code 0 <= byteOffset <= byteLength() - 4}
         * @param value the value
         * @throws TagMismatchException if the allocation was freed since the view was checked
         * @throws IndexOutOfBoundsException past the view's end
         */
        public void storeI32(long byteOffset, int value) {
            memory.storeI32(at(byteOffset, 4, true), value);
        }

        /**
         * Stores an i64.
         *
         * @param byteOffset from the view's start; {@code 0 <= byteOffset <= byteLength() - 8}
         * @param value the value
         * @throws TagMismatchException if the allocation was freed since the view was checked
         * @throws IndexOutOfBoundsException past the view's end
         */
        public void storeI64(long byteOffset, long value) {
            memory.storeI64(at(byteOffset, 8, true), value);
        }
    }

    /**
     * Releases the tag space's shadow; the memory stays open.
     *
     * @throws dev.pagealloc.api.KernelException if the kernel refuses to unmap the shadow
     */
    @Override
    public void close() {
        tags.close();
    }
}
