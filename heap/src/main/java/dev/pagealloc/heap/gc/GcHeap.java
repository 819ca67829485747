package dev.pagealloc.heap.gc;

import dev.pagealloc.api.PageAllocator;
import java.lang.foreign.ValueLayout;
import java.lang.ref.WeakReference;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A generational garbage-collected heap of objects outside the Java heap, on regions of a
 * {@link PageAllocator}: a nursery of bump-allocated blocks collected by copying, an old generation of
 * size-class blocks collected by mark and sweep, and a large-object space of one region per object.
 *
 * <p>An object is named by its <em>address</em>, a {@code long}: the address of its first payload
 * byte, 8-byte aligned; {@code 0} is the null reference. The 64-bit header before it holds the mark,
 * pinned, forwarded and logged bits, the age, the type id and the exact payload size. Objects move
 * when a minor collection copies them out of the nursery, so an address held in a Java variable is
 * valid only until the next call that can collect (an allocation, {@link #collect(boolean)}); keep
 * objects across such calls in roots: a thread's {@link ShadowStack}, a {@link Handle}, a global root,
 * or pin them ({@link #pin(long)}: a pinned object never moves and is kept alive until unpinned).
 *
 * <p>Fields are read and written through this class, checked against the object: the address must be
 * an object of this heap, the offset within its payload and aligned to the access width, and a
 * reference access must name a reference slot of the type while a plain access must touch none.
 * A failed check throws before anything is written.
 *
 * <h2>Threads and safepoints</h2>
 * Thread-safe. A thread that holds addresses in Java variables is a <em>mutator</em>: it has a
 * {@link ShadowStack} ({@link #shadowStack()} attaches it, {@link ShadowStack#release()} detaches it), and
 * the stack holds its nursery buffer. For an attached thread the common calls take no lock: an
 * allocation of a fixed type bumps a pointer in the thread's own buffer after one opaque read of the
 * safepoint flag, and a field access makes its checks (an object start, the access within the exact
 * payload size in the header and aligned, the slot's kind) and reads or writes the bytes. Anything else
 * (arrays, large objects, a full buffer, a raised flag, a failed check, a thread that is not attached)
 * takes the heap's lock, and a failed check is decided and reported there. Objects move only at
 * safepoints: a collection raises the flag and runs once every attached thread that is alive is parked at
 * one, that is inside an allocation's locked path, {@link #collect(boolean)} or {@link #safepoint()}; until
 * then the thread that asked waits (as HotSpot's handshakes do, without the lock, so the others' field
 * accesses go on). So a mutator's addresses stay valid from one of its own allocations to the next, and
 * it must reload them from its roots after each. The stack also carries the common calls
 * ({@link ShadowStack#allocate(int)}, {@link ShadowStack#allocate(int, long, long)},
 * {@link ShadowStack#getReference}, {@link ShadowStack#setReference}, {@link ShadowStack#push},
 * {@link ShadowStack#pop}):
 * the same checks without this class's per-call lookup of the caller's stack, for a mutator's inner loops.
 * The calls of a thread that is not attached all run under
 * the lock, which a running collection holds, so they never overlap one. An attached thread that blocks
 * for long outside the heap holds every collection up: release its stack first, or call
 * {@link #safepoint()} in long loops.
 * The memory views come from the page allocator, so an allocator with
 * {@link dev.pagealloc.api.ViewSharing#CONFINED} views limits the heap to the thread that built it; the
 * default allocator shares them.
 *
 * <h2>Checked mode</h2>
 * With {@link GcHeapBuilder#withObjectTags(ObjectTagSpaces)} every object is tagged as on a CPU with memory
 * tagging: its granules get a tag when it is allocated and a new one when it dies or moves, every address
 * the heap hands out carries the tag in bits 56 to 59, and every method that takes an address (fields,
 * roots, handles, pins) first checks the tag against the granules it touches and throws
 * {@link dev.pagealloc.api.TagMismatchException} (naming the address, the pointer's tag and the memory's
 * tag; nothing is read or written) for a stale address or an offset that runs into the next object, a dead
 * large object's included (its pages went back, but its range is remembered with a retired tag). Every
 * call then takes the lock. Off by default; without it no call looks at a tag. In an asynchronous check mode
 * the call goes on instead (the heap's own checks still refuse an address that is no object) and
 * {@link #throwPendingMismatch()} reports the mismatch later.
 *
 * <h2>Failure</h2>
 * Bad arguments throw {@link IllegalArgumentException} or {@link IndexOutOfBoundsException} and change
 * nothing; calls after {@link #close()} throw {@link IllegalStateException}; an allocation that does
 * not fit after a full collection throws {@link HeapExhaustedException} and leaves the heap consistent.
 */
public final class GcHeap implements AutoCloseable {
    final ReentrantLock lock = new ReentrantLock();
    private final Safepoints safepoints = new Safepoints(lock);
    final PageAllocator allocator;
    final boolean ownsAllocator;
    final Nursery nursery;
    final OldGeneration old;
    final LargeObjectSpace large;
    /** {@link Nursery#base} and {@link Nursery#bytes}, one load closer for the fast paths. */
    private final long nurseryBase;
    private final long nurseryBytes;
    final long largeObjectThresholdBytes;
    final long oldGenerationLimitBytes;
    final int tenureAge;
    final int collectEveryAllocations;
    final boolean verifyAfterCollection;
    final boolean compaction;
    /** The registered types; every call under the lock. */
    final TypeRegistry registry;
    /**
     * The registered types as an array for the fast paths (null past the registered ids and at released ones);
     * see {@link TypeRegistry}. Plain: a fast path that misses a new entry takes the locked path.
     */
    TypeInfo[] typeTable = {null};
    /**
     * {@link TypeInfo#fastSlotMask} of each entry of {@link #typeTable} (0 past the registered ids and at released
     * ones), so the field accesses' fast path finds a small fixed type's slot kinds with one load from a primitive
     * array instead of the type's object; kept in step by {@link TypeRegistry}. Plain, as the table is.
     */
    long[] slotMasks = {0};
    /**
     * The new object's header of each entry of {@link #typeTable} that allocation may bump in a mutator's buffer
     * ({@link TypeInfo#bufferObjectBytes} positive), else 0, so {@link #bump(ShadowStack, int)} reads one primitive
     * array instead of the type's object; kept in step by {@link TypeRegistry}. Plain, as the table is.
     */
    long[] bufferHeaders = {0};
    /**
     * {@link #bufferHeaders} for the entries whose first two reference slots are payload words 0 and 1, else 0,
     * so {@link #bumpPair} reads one primitive array for such a type (binary-trees' node) instead of the type's
     * object; kept in step by {@link TypeRegistry}. Plain, as the table is. The fast paths read both arrays through
     * the mutator's {@link ShadowStack}, which {@link TypeRegistry} hands each new array.
     */
    long[] pairHeaders = {0};
    /** The mutator that called last: a racy one-entry cache in front of {@link #threadStack}. */
    private ShadowStack lastMutator;
    final Set<ShadowStack> stacks = new LinkedHashSet<>();
    final Set<Long> loggedLarge = new LinkedHashSet<>();
    /** Handles, global slots and pinned objects. */
    final Roots roots = new Roots(this);
    final Statistics stats = new Statistics();
    // A thread's entry refers to its stack weakly: the stack refers to this heap, so a strong entry kept the
    // heap reachable while the thread lived, released or not. The stacks set holds every attached stack, so
    // the entry stays good while the heap is reachable. release() and close() remove the calling thread's entry.
    final ThreadLocal<WeakReference<ShadowStack>> threadStack = new ThreadLocal<>();
    long epoch;
    /** The allocation paths that take the lock. */
    final SlowAllocation slow = new SlowAllocation(this);
    // Plain: close() writes it under the lock, with each attached stack's CLOSED bit, which is what the fast paths
    // read; a thread that races its own calls with close() (misuse) may see either late, and then reads dropped
    // pages (see close()).
    private boolean alive = true;
    /** The object tags of a checked heap, or null: then no call looks at a tag and addresses are plain. */
    final ObjectTags tags;
    /** Whether objects take whole tag granules (a checked heap), for {@link #objectBytes(long)}. */
    final boolean granuleObjects;
    /** Runs the collections: safepoint, minor, and major when due. */
    private final CollectionCycle cycle;
    /** The field accesses' locked paths and their checks. */
    final LockedAccess locked;

    GcHeap(GcHeapBuilder builder, PageAllocator allocator, boolean ownsAllocator, long blockBytes) {
        this.allocator = allocator;
        this.ownsAllocator = ownsAllocator;
        this.largeObjectThresholdBytes = builder.largeObjectThresholdBytes;
        this.oldGenerationLimitBytes = builder.oldGenerationLimitBytes;
        this.tenureAge = builder.tenureAge;
        this.collectEveryAllocations = builder.collectEveryAllocations;
        this.verifyAfterCollection = builder.verifyAfterCollection;
        this.compaction = builder.compaction;
        int nurseryBlocks = (int) (builder.nurseryBytes / blockBytes);
        this.nursery = new Nursery(allocator, builder.nurseryBytes, blockBytes, Math.max(1, nurseryBlocks / 8));
        this.nurseryBase = nursery.base;
        this.nurseryBytes = nursery.bytes;
        try {
            this.old = new OldGeneration(allocator, builder.oldGenerationLimitBytes, blockBytes,
                    largeObjectThresholdBytes);
        } catch (RuntimeException e) {
            nursery.region.deallocate();
            throw e;
        }
        this.large = new LargeObjectSpace(allocator);
        if (builder.objectTags != null) {
            try {
                this.tags = new ObjectTags(builder.objectTags, nursery.base, nursery.bytes, old.base,
                        old.region.maximumPages() * old.region.pageBytes());
            } catch (RuntimeException e) {
                nursery.region.deallocate();
                old.region.deallocate();
                old.cardRegion.deallocate();
                throw e;
            }
        } else {
            this.tags = null;
        }
        this.granuleObjects = tags != null;
        old.tags = tags;
        large.tags = tags;
        this.cycle = new CollectionCycle(this, safepoints, new Collector(this));
        this.locked = new LockedAccess(this);
        this.registry = new TypeRegistry(this);
    }

    /** {@return a builder with the defaults: 8 MiB nursery, 256 MiB old generation, 32 KiB large objects} */
    public static GcHeapBuilder builder() {
        return new GcHeapBuilder();
    }

    // ---------------------------------------------------------------- types

    /**
     * Registers a type, or finds it: a layout equal to one registered already (same kind, name, sizes and
     * reference offsets) gets that type's id again, so a program that registers its types on each run does
     * not use up ids. Ids are reused after {@link #releaseType(int)}.
     *
     * @param layout the type's layout
     * @return its type id, from 1 upwards
     * @throws NullPointerException if {@code layout} is null
     * @throws IllegalStateException if {@value Header#MAX_TYPE_ID} types (the header's 16-bit type field)
     *     are registered already and none is equal to {@code layout} (nothing changes), or the heap is closed
     */
    public int registerType(TypeLayout layout) {
        if (layout == null) {
            throw new NullPointerException("registerType(layout=null): layout must not be null");
        }
        lock.lock();
        try {
            checkAlive("registerType");
            return registry.register(layout);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Releases a type id once no object of the type is left, so that {@link #registerType} can give it to
     * another layout. Runs a full collection first (only objects still reachable then count), then looks
     * at every object of the heap: linear in the heap's size, for types a program is done with, not for
     * every step.
     *
     * @param typeId a registered type
     * @return true if the id was released; false if live objects of the type remain (nothing changes, and
     *     the id stays valid)
     * @throws IllegalArgumentException if the type id is not registered
     * @throws IllegalStateException if the heap is closed
     */
    public boolean releaseType(int typeId) {
        lock.lock();
        try {
            checkAlive("releaseType");
            return registry.release(typeId);
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@return the handle of reference slot {@code byteOffset} of fixed type {@code typeId}}, for
     * {@link ShadowStack#getReference(ReferenceSlot, long)} and {@link ShadowStack#setReference(ReferenceSlot, long,
     * long)}: the same handle for the same slot until the type is released, which invalidates it (see
     * {@link ReferenceSlot}). Takes the lock: resolve handles once, outside inner loops.
     *
     * @param typeId a registered {@link TypeLayout.Fixed} type
     * @param byteOffset one of the type's reference offsets, in bytes from an object's address
     * @throws IllegalArgumentException if the type id is unknown or names an array type, or the offset is not one
     *     of the type's reference offsets (the message lists them)
     * @throws IllegalStateException if the heap is closed
     */
    public ReferenceSlot referenceSlot(int typeId, long byteOffset) {
        lock.lock();
        try {
            checkAlive("referenceSlot");
            return registry.referenceSlot(typeId, byteOffset);
        } finally {
            lock.unlock();
        }
    }

    TypeInfo type(String operation, int typeId) {
        return registry.type(operation, typeId);
    }

    // ---------------------------------------------------------------- allocation

    /**
     * Allocates a fixed-size object; its payload reads zero (references null).
     *
     * @param typeId a registered {@link TypeLayout.Fixed} type
     * @return the object's address
     * @throws IllegalArgumentException if the type id is unknown or names an array type
     * @throws HeapExhaustedException if the object does not fit after a full collection
     * @throws IllegalStateException if the heap is closed
     */
    public long allocate(int typeId) {
        ShadowStack mutator = mutator();
        if (mutator != null && mutator.gate() == 0) {
            long object = bump(mutator, typeId);
            if (object != 0) {
                return object;
            }
        }
        return slow.allocate(typeId);
    }

    /**
     * The allocation fast path of {@code mutator}, whose owner calls and whose state word reads 0 (no safepoint
     * pending, no stress mode, a plain heap, open): bumps its nursery buffer. {@return the new object's address,
     * or 0 when the path does not apply}: an unknown or array type, a large object, a full buffer; the locked
     * path then decides. The buffer is a nursery block the thread holds until its next safepoint.
     */
    long bump(ShadowStack mutator, int typeId) {
        long[] headers = mutator.bufferHeaders;
        // Entry 0 is 0 (no type), so testing the range alone is enough: C2 makes it the load's own bounds check.
        if (typeId >= 0 && typeId < headers.length) {
            long header = headers[typeId];
            long zeroEnd = (Header.payloadBytes(header) + 7) & ~7L;
            long object = claim(mutator, header, Header.BYTES + zeroEnd);
            if (object != 0) {
                zero(object, 0, zeroEnd);
                Nursery.markStart(mutator.nurseryStarts, object - mutator.nurseryBase);
                return object;
            }
        }
        return 0;
    }

    /**
     * Takes {@code objectBytes} (its header included) from {@code mutator}'s buffer and writes {@code header}.
     * {@return the new object's address, or 0 if {@code header} is 0 (no type the path serves) or the buffer has
     * no room}; the caller fills the payload and marks the object's start.
     */
    private static long claim(ShadowStack mutator, long header, long objectBytes) {
        long headerAddress = mutator.bufferCursor;
        if (header == 0 || headerAddress + objectBytes > mutator.bufferLimit) {
            return 0;
        }
        mutator.bufferCursor = headerAddress + objectBytes;
        AddressSpace.ALL.set(AddressSpace.WORD, headerAddress, header);
        return headerAddress + Header.BYTES;
    }

    /**
     * Allocates a fixed-size object with its first two reference slots (in ascending offset order) set to
     * {@code first} and {@code second}, the rest of its payload zero: {@link #allocate(int)} and two
     * {@link #setReference} calls in one, with the same checks. The two references need no root of their own
     * while it runs: if the allocation collects, they are kept alive and their new addresses stored.
     *
     * @param typeId a registered {@link TypeLayout.Fixed} type with at least two reference offsets
     * @param first an object of this heap, or 0: the value of the lowest reference slot
     * @param second an object of this heap, or 0: the value of the next reference slot
     * @return the object's address
     * @throws IllegalArgumentException if the type id is unknown, names an array type or a type with fewer than
     *     two reference slots, or a non-zero {@code first} or {@code second} is not an object of this heap;
     *     nothing is allocated
     * @throws HeapExhaustedException if the object does not fit after a full collection
     * @throws IllegalStateException if the heap is closed
     */
    public long allocate(int typeId, long first, long second) {
        ShadowStack mutator = mutator();
        if (mutator != null && mutator.gate() == 0) {
            long object = bump(mutator, typeId, first, second);
            if (object != 0) {
                return object;
            }
        }
        return slow.allocate(typeId, first, second);
    }

    /**
     * {@link #bump(ShadowStack, int)} with the first two reference slots set, for a fixed type with two or more;
     * {@return 0 also when {@code first} or {@code second} is neither 0 nor a nursery or old object} (the locked
     * path names it). The holder is young, so no card is dirtied.
     */
    long bump(ShadowStack mutator, int typeId, long first, long second) {
        if (!isYoungOrOldOrNull(first) || !isYoungOrOldOrNull(second)) {
            return 0;
        }
        return bumpPair(mutator, typeId, first, second);
    }

    /**
     * {@link #bump(ShadowStack, int, long, long)} for values the caller has checked already: each 0 or an object
     * of this heap (young, old or large) until the mutator's next safepoint.
     */
    long bumpPair(ShadowStack mutator, int typeId, long first, long second) {
        long[] headers = mutator.pairHeaders;
        // Entry 0 is 0 (no type), so testing the range alone is enough: C2 makes it the load's own bounds check.
        if (typeId >= 0 && typeId < headers.length) {
            long header = headers[typeId];
            long zeroEnd = (Header.payloadBytes(header) + 7) & ~7L;
            long object = claim(mutator, header, Header.BYTES + zeroEnd);
            if (object != 0) {
                AddressSpace.ALL.set(AddressSpace.WORD, object, first);
                AddressSpace.ALL.set(AddressSpace.WORD, object + 8, second);
                zero(object, 16, zeroEnd);
                Nursery.markStart(mutator.nurseryStarts, object - mutator.nurseryBase);
                return object;
            }
        }
        return bumpPairAnyOffsets(mutator, typeId, first, second);
    }

    /** {@link #bumpPair} for a type whose first two reference slots are not payload words 0 and 1. */
    private long bumpPairAnyOffsets(ShadowStack mutator, int typeId, long first, long second) {
        TypeInfo[] table = typeTable;
        if (typeId > 0 && typeId < table.length) {
            TypeInfo type = table[typeId];
            if (type != null && type.firstReference >= 0) {
                long objectBytes = type.bufferObjectBytes;
                // bufferObjectBytes <= 0: a large object, which no buffer holds.
                long object = claim(mutator, objectBytes > 0 ? type.fixedHeader : 0, objectBytes);
                if (object != 0) {
                    zero(object, type.pairZeroFrom, type.zeroEnd);
                    AddressSpace.ALL.set(AddressSpace.WORD, object + type.firstReference, first);
                    AddressSpace.ALL.set(AddressSpace.WORD, object + type.secondReference, second);
                    Nursery.markStart(mutator.nurseryStarts, object - mutator.nurseryBase);
                    return object;
                }
            }
        }
        return 0;
    }

    /**
     * Zeroes bytes {@code [from, to)} of the new object at {@code object} (both multiples of 8, inside the
     * buffer it was bumped in): eden blocks are handed out as the last collection left them, so each allocation
     * zeroes its own payload, as HotSpot's TLAB allocation does.
     */
    static void zero(long object, long from, long to) {
        if (to - from <= 64) {
            for (long at = object + from; at < object + to; at += 8) {
                AddressSpace.ALL.set(AddressSpace.WORD, at, 0L);
            }
        } else {
            AddressSpace.ALL.asSlice(object + from, to - from).fill((byte) 0);
        }
    }

    /** {@return whether {@code value} is 0 or an object of the nursery or the old generation}; lock-free */
    private boolean isYoungOrOldOrNull(long value) {
        return value == 0 || nursery.isObjectStart(value) || old.isObjectStart(value);
    }

    /**
     * Allocates an array; its elements read zero (references null).
     *
     * @param typeId a registered {@link TypeLayout.ReferenceArray} or {@link TypeLayout.PrimitiveArray} type
     * @param length the number of elements; {@code >= 0}
     * @return the array's address
     * @throws IllegalArgumentException if the type id is unknown or names a fixed type, or {@code length} is
     *     negative or makes the payload larger than 2^40 - 1 bytes
     * @throws HeapExhaustedException if the array does not fit after a full collection
     * @throws IllegalStateException if the heap is closed
     */
    public long allocateArray(int typeId, long length) {
        return slow.allocateArray(typeId, length);
    }

    /** {@return the bytes an object of {@code payloadBytes} takes here: header, payload, whole granules if tagged} */
    long objectBytes(long payloadBytes) {
        return Header.objectBytes(payloadBytes, granuleObjects);
    }

    /**
     * {@return the calling thread's shadow stack if it is attached to this open heap and the heap is not checked,
     * else null}: the fast paths run only for attached threads, which no collection overlaps (a collection waits
     * for them to park); any other caller takes the lock.
     */
    ShadowStack mutator() {
        ShadowStack cached = lastMutator;
        if (cached != null && cached.owner == Thread.currentThread() && cached.gate() < ShadowStack.TAGGED) {
            return cached;
        }
        ShadowStack stack = threadStack();
        if (stack == null || stack.gate() >= ShadowStack.TAGGED) {
            return null;
        }
        lastMutator = stack;
        return stack;
    }

    /** {@return the calling thread's stack from its entry, or null} */
    private ShadowStack threadStack() {
        WeakReference<ShadowStack> entry = threadStack.get();
        return entry == null ? null : entry.get();
    }

    boolean pending() {
        return safepoints.pending();
    }

    // ---------------------------------------------------------------- raw memory

    long header(long address) {
        return getWord(address - Header.BYTES);
    }

    long getWord(long address) {
        if (nursery.contains(address)) {
            return nursery.getLong(address);
        }
        if (old.contains(address)) {
            return old.getLong(address);
        }
        return large.getLong(address);
    }

    void setWord(long address, long value) {
        if (nursery.contains(address)) {
            nursery.setLong(address, value);
        } else if (old.contains(address)) {
            old.setLong(address, value);
        } else {
            large.setLong(address, value);
        }
    }


    boolean isObject(long address) {
        return nursery.isObjectStart(address) || old.isObjectStart(address) || large.isObjectStart(address);
    }

    // ---------------------------------------------------------------- checks

    void checkAlive(String operation) {
        if (!alive) {
            throw new IllegalStateException(operation + ": the heap is closed");
        }
    }

    /**
     * In a checked heap, checks an access through {@code pointer} against the tags of the granules it touches
     * and {@return the plain address}; else returns {@code pointer}. Under the lock.
     */
    long checked(String operation, long pointer, long byteOffset, int width, boolean store) {
        if (tags == null) {
            return pointer;
        }
        checkAlive(operation);
        return tags.check(pointer, byteOffset, width, store);
    }

    /** {@return the plain address of an object pointer (or 0), its tag checked in a checked heap}; under the lock */
    long plain(String operation, long pointer) {
        if (tags == null) {
            return pointer;
        }
        checkAlive(operation);
        return tags.object(pointer);
    }

    /**
     * In a checked heap whose tagging reports mismatches later ({@code TagCheckMode.ASYNC}, and stores under
     * {@code ASYMMETRIC}), throws a tag mismatch recorded and not yet reported, as Linux reports an asynchronous
     * MTE fault at the thread's next kernel entry; returns normally when there is none, or the heap is not
     * checked. Each mismatch is thrown once; the heap keeps one per tag space (the nursery, the old generation,
     * each live large object, and one for the large objects that died), so call it until it returns to see them
     * all. Takes the lock.
     *
     * @throws dev.pagealloc.api.TagMismatchException a pending mismatch, naming the address, the pointer's tag and
     *     the memory's tag
     * @throws IllegalStateException if the heap is closed
     */
    public void throwPendingMismatch() {
        lock.lock();
        try {
            checkAlive("throwPendingMismatch");
            if (tags != null) {
                tags.throwPendingMismatch();
            }
        } finally {
            lock.unlock();
        }
    }

    /** {@return {@code address} (an object's, or 0) as handed out: carrying its object's tag in a checked heap} */
    long handedOut(long address) {
        return tags == null ? address : tags.tagged(address);
    }

    void checkObject(String operation, long object) {
        if (!isObject(object)) {
            throw new IllegalArgumentException(operation + "(object=0x" + Long.toHexString(object)
                    + "): not an object of this heap");
        }
    }

    // ---------------------------------------------------------------- field access

    /**
     * The field accesses' fast path for an attached caller, with the same checks as
     * {@link LockedAccess#checkAccess} for objects in the nursery and the old generation: an object start, the
     * access inside the payload (the exact size from the header) and aligned, the kind of slot the type
     * says. {@return the address of the access, or 0 when a check fails or the object is large}: the
     * locked path then redoes the checks and throws the exact error. No collection overlaps it, since the
     * caller is attached and not parked, so the object's page stays committed until the caller's next
     * safepoint; the caller reads it through {@link AddressSpace#ALL}. The bounds are plain {@code long}s
     * (the nursery's, a committed old block's), so C2 keeps no segment, arena or bounds check of its own.
     */
    long locate(long object, long byteOffset, int width, boolean reference) {
        long spaceEnd = spaceEnd(object);
        return spaceEnd == 0 ? 0 : fieldAt(object, byteOffset, width, reference, spaceEnd);
    }

    /**
     * The object-start test of the fast paths for a value the caller's stack does not know. {@return the end of
     * {@code object}'s space (the nursery's end, or its old-generation block's), or 0 if it is not an object start
     * in the nursery or in a committed old block} (a large object, or no object); lock-free, for an attached caller.
     */
    long spaceEnd(long object) {
        long bit = Nursery.startBit(nurseryBase, object);
        long[] starts = nursery.starts;
        if (bit >>> 6 < starts.length) {
            return Nursery.isStartBitSet(starts, bit) ? nurseryBase + nurseryBytes : 0;
        }
        long inBlock = old.payloadOffsetInBlock(object);
        return inBlock < 0 ? 0 : object - inBlock + old.blockBytes;
    }

    /**
     * {@link #locate} for an object that the calling mutator's stack knows to be an object of this heap until its
     * next safepoint ({@link ShadowStack#knowsObject}): no start-bit test and no space bound, since the object's
     * header is one the heap wrote and its payload size is exact; the access's own checks stay. A large object
     * is read here too: its pages stay mapped while it lives, and it dies only in a collection.
     */
    long locateKnown(long object, long byteOffset, int width, boolean reference) {
        return fieldAt(object, byteOffset, width, reference, Long.MAX_VALUE);
    }

    /** The checks of an access that depend on the object's header, given its space's end; see {@link #locate}. */
    private long fieldAt(long object, long byteOffset, int width, boolean reference, long spaceEnd) {
        long header = AddressSpace.ALL.get(AddressSpace.WORD, object - Header.BYTES);
        long payloadBytes = Header.payloadBytes(header);
        // byteOffset >= 0 and byteOffset + width <= payloadBytes in one sign test; the space's end as a backstop.
        if ((byteOffset | (payloadBytes - width - byteOffset)) < 0 || (byteOffset & (width - 1)) != 0
                || object + byteOffset + width > spaceEnd) {
            return 0;
        }
        int typeId = Header.typeId(header);
        long[] masks = slotMasks;
        long mask = typeId < masks.length ? masks[typeId] : 0;
        if (mask < 0) {
            // A small fixed type: the access is inside the payload and aligned, so it touches exactly one word,
            // below word 63 (the marker bit).
            return (((mask >>> (byteOffset >>> 3)) & 1) != 0) == reference ? object + byteOffset : 0;
        }
        TypeInfo[] table = typeTable;
        TypeInfo type = typeId < table.length ? table[typeId] : null;
        if (type == null || !type.allows(byteOffset, width, reference)) {
            return 0;
        }
        return object + byteOffset;
    }

    /**
     * {@return the reference in slot {@code byteOffset} of {@code object}: an object's address or 0}
     *
     * @param object an object of this heap
     * @param byteOffset a reference slot of its type, in bytes from the object's address
     * @throws IllegalArgumentException if {@code object} is not an object of this heap, or the offset is
     *     not a reference slot of its type
     * @throws IndexOutOfBoundsException if the offset is not 8-aligned within the payload
     * @throws IllegalStateException if the heap is closed
     */
    public long getReference(long object, long byteOffset) {
        long at = mutator() == null ? 0 : locate(object, byteOffset, 8, true);
        if (at != 0) {
            return AddressSpace.ALL.get(AddressSpace.WORD, at);
        }
        return locked.getReference(object, byteOffset);
    }

    /**
     * Stores a reference in slot {@code byteOffset} of {@code object}, through the write barrier (an
     * old object's card is dirtied, a large object logged, when the value is in the nursery).
     *
     * @param object an object of this heap
     * @param byteOffset a reference slot of its type, in bytes from the object's address
     * @param value an object of this heap, or 0
     * @throws IllegalArgumentException if {@code object} or a non-zero {@code value} is not an object of
     *     this heap, or the offset is not a reference slot of its type; nothing is written
     * @throws IndexOutOfBoundsException if the offset is not 8-aligned within the payload
     * @throws IllegalStateException if the heap is closed
     */
    public void setReference(long object, long byteOffset, long value) {
        if (mutator() == null || !storeReference(object, byteOffset, value, false, false)) {
            locked.setReference(object, byteOffset, value);
        }
    }

    /**
     * The reference store's fast path for an attached caller: {@link #locate} (or {@link #locateKnown} for a young
     * or old holder known to the caller's stack) and a check that {@code value} is 0 or a nursery or old object
     * (none for a value known to the stack), then the store and the write barrier. {@return false, having written
     * nothing, when a check fails or the holder is large}: the locked path then decides.
     */
    boolean storeReference(long object, long byteOffset, long value, boolean objectKnown, boolean valueKnown) {
        boolean youngHolder = nursery.contains(object);
        // A large holder is logged by the barrier's locked path.
        long at = objectKnown && (youngHolder || old.contains(object)) ? locateKnown(object, byteOffset, 8, true)
                : locate(object, byteOffset, 8, true);
        return at != 0 && store(at, youngHolder, value, valueKnown);
    }

    /**
     * {@link #storeReference} for a slot handle: the holder must be known to the caller's stack or pass its
     * object-start test ({@code objectChecked}), and be young or old, and its header must be {@code slot}'s type's
     * ({@link ReferenceSlot#matches}), which implies the slot's kind and bounds. {@return false, having written
     * nothing, when a check fails or the holder is large}: the locked path then decides.
     */
    boolean storeSlot(ReferenceSlot slot, long object, long value, boolean objectChecked, boolean valueKnown) {
        boolean youngHolder = nursery.contains(object);
        if (!(objectChecked && (youngHolder || old.contains(object)))
                || !slot.matches(AddressSpace.ALL.get(AddressSpace.WORD, object - Header.BYTES))) {
            return false;
        }
        return store(object + slot.byteOffset, youngHolder, value, valueKnown);
    }

    /**
     * The end of both reference stores' fast paths, at a checked slot {@code at} of a young or old holder: checks
     * that {@code value} is 0 or a nursery or old object (none for a value known to the caller's stack), stores it
     * and runs the write barrier. {@return false, having written nothing, when the value's check fails}.
     */
    private boolean store(long at, boolean youngHolder, long value, boolean valueKnown) {
        boolean youngValue;
        if (valueKnown) {
            youngValue = nursery.contains(value);
        } else {
            youngValue = nursery.isObjectStart(value);
            if (value != 0 && !youngValue && !old.isObjectStart(value)) {
                return false;
            }
        }
        AddressSpace.ALL.set(AddressSpace.WORD, at, value);
        // The holder is young or old: a card or nothing to remember.
        if (youngValue && !youngHolder) {
            old.dirtyCard(at);
        }
        return true;
    }

    /**
     * {@return the long at {@code byteOffset} of {@code object}}
     *
     * @param object an object of this heap
     * @param byteOffset in bytes from the object's address; aligned to 8, within the payload, touching no
     *     reference slot
     * @throws IllegalArgumentException if {@code object} is not an object of this heap, or the bytes touch a
     *     reference slot (or the object is a reference array)
     * @throws IndexOutOfBoundsException if the access is misaligned or not within the payload
     * @throws IllegalStateException if the heap is closed
     */
    public long getLong(long object, long byteOffset) {
        long at = mutator() == null ? 0 : locate(object, byteOffset, 8, false);
        if (at != 0) {
            return AddressSpace.ALL.get(AddressSpace.WORD, at);
        }
        return locked.getLong(object, byteOffset);
    }

    /**
     * Stores a long at {@code byteOffset} of {@code object}.
     *
     * @param object an object of this heap
     * @param byteOffset in bytes from the object's address; aligned to 8, within the payload, touching no
     *     reference slot
     * @param value the value
     * @throws IllegalArgumentException if {@code object} is not an object of this heap, or the bytes touch a
     *     reference slot (or the object is a reference array); nothing is written
     * @throws IndexOutOfBoundsException if the access is misaligned or not within the payload
     * @throws IllegalStateException if the heap is closed
     */
    public void setLong(long object, long byteOffset, long value) {
        long at = mutator() == null ? 0 : locate(object, byteOffset, 8, false);
        if (at != 0) {
            AddressSpace.ALL.set(AddressSpace.WORD, at, value);
            return;
        }
        locked.setLong(object, byteOffset, value);
    }

    /**
     * {@return the int at {@code byteOffset} of {@code object}}
     *
     * @param object an object of this heap
     * @param byteOffset in bytes from the object's address; aligned to 4, within the payload, touching no
     *     reference slot
     * @throws IllegalArgumentException if {@code object} is not an object of this heap, or the bytes touch a
     *     reference slot (or the object is a reference array)
     * @throws IndexOutOfBoundsException if the access is misaligned or not within the payload
     * @throws IllegalStateException if the heap is closed
     */
    public int getInt(long object, long byteOffset) {
        long at = mutator() == null ? 0 : locate(object, byteOffset, 4, false);
        if (at != 0) {
            return AddressSpace.ALL.get(AddressSpace.INT, at);
        }
        return locked.getInt(object, byteOffset);
    }

    /**
     * Stores a int at {@code byteOffset} of {@code object}.
     *
     * @param object an object of this heap
     * @param byteOffset in bytes from the object's address; aligned to 4, within the payload, touching no
     *     reference slot
     * @param value the value
     * @throws IllegalArgumentException if {@code object} is not an object of this heap, or the bytes touch a
     *     reference slot (or the object is a reference array); nothing is written
     * @throws IndexOutOfBoundsException if the access is misaligned or not within the payload
     * @throws IllegalStateException if the heap is closed
     */
    public void setInt(long object, long byteOffset, int value) {
        long at = mutator() == null ? 0 : locate(object, byteOffset, 4, false);
        if (at != 0) {
            AddressSpace.ALL.set(AddressSpace.INT, at, value);
            return;
        }
        locked.setInt(object, byteOffset, value);
    }

    /**
     * {@return the byte at {@code byteOffset} of {@code object}}
     *
     * @param object an object of this heap
     * @param byteOffset in bytes from the object's address; aligned to 1, within the payload, touching no
     *     reference slot
     * @throws IllegalArgumentException if {@code object} is not an object of this heap, or the bytes touch a
     *     reference slot (or the object is a reference array)
     * @throws IndexOutOfBoundsException if the access is misaligned or not within the payload
     * @throws IllegalStateException if the heap is closed
     */
    public byte getByte(long object, long byteOffset) {
        long at = mutator() == null ? 0 : locate(object, byteOffset, 1, false);
        if (at != 0) {
            return AddressSpace.ALL.get(ValueLayout.JAVA_BYTE, at);
        }
        return locked.getByte(object, byteOffset);
    }

    /**
     * Stores a byte at {@code byteOffset} of {@code object}.
     *
     * @param object an object of this heap
     * @param byteOffset in bytes from the object's address; aligned to 1, within the payload, touching no
     *     reference slot
     * @param value the value
     * @throws IllegalArgumentException if {@code object} is not an object of this heap, or the bytes touch a
     *     reference slot (or the object is a reference array); nothing is written
     * @throws IndexOutOfBoundsException if the access is misaligned or not within the payload
     * @throws IllegalStateException if the heap is closed
     */
    public void setByte(long object, long byteOffset, byte value) {
        long at = mutator() == null ? 0 : locate(object, byteOffset, 1, false);
        if (at != 0) {
            AddressSpace.ALL.set(ValueLayout.JAVA_BYTE, at, value);
            return;
        }
        locked.setByte(object, byteOffset, value);
    }

    /**
     * {@return the double at {@code byteOffset} of {@code object}}
     *
     * @param object an object of this heap
     * @param byteOffset in bytes from the object's address; aligned to 8, within the payload, touching no
     *     reference slot
     * @throws IllegalArgumentException if {@code object} is not an object of this heap, or the bytes touch a
     *     reference slot (or the object is a reference array)
     * @throws IndexOutOfBoundsException if the access is misaligned or not within the payload
     * @throws IllegalStateException if the heap is closed
     */
    public double getDouble(long object, long byteOffset) {
        long at = mutator() == null ? 0 : locate(object, byteOffset, 8, false);
        if (at != 0) {
            return AddressSpace.ALL.get(AddressSpace.DOUBLE, at);
        }
        return locked.getDouble(object, byteOffset);
    }

    /**
     * Stores a double at {@code byteOffset} of {@code object}.
     *
     * @param object an object of this heap
     * @param byteOffset in bytes from the object's address; aligned to 8, within the payload, touching no
     *     reference slot
     * @param value the value
     * @throws IllegalArgumentException if {@code object} is not an object of this heap, or the bytes touch a
     *     reference slot (or the object is a reference array); nothing is written
     * @throws IndexOutOfBoundsException if the access is misaligned or not within the payload
     * @throws IllegalStateException if the heap is closed
     */
    public void setDouble(long object, long byteOffset, double value) {
        long at = mutator() == null ? 0 : locate(object, byteOffset, 8, false);
        if (at != 0) {
            AddressSpace.ALL.set(AddressSpace.DOUBLE, at, value);
            return;
        }
        locked.setDouble(object, byteOffset, value);
    }

    /**
     * {@return the number of elements of an array}
     *
     * @param array an array of this heap
     * @throws IllegalArgumentException if {@code array} is not an object of this heap or not an array
     * @throws IllegalStateException if the heap is closed
     */
    public long arrayLength(long array) {
        return locked.arrayLength(array);
    }

    /**
     * {@return the type id of an object}
     *
     * @param object an object of this heap
     * @throws IllegalArgumentException if {@code object} is not an object of this heap
     * @throws IllegalStateException if the heap is closed
     */
    public int typeOf(long object) {
        return locked.typeOf(object);
    }

    /**
     * {@return whether {@code address} is the address of an object of this heap now}; false after
     * {@link #close()}. An address of an object that moved or died is not one.
     *
     * @param address any value
     */
    public boolean isHeapPointer(long address) {
        lock.lock();
        try {
            if (tags == null || !alive) {
                return alive && isObject(address);
            }
            long plainAddress = address & dev.pagealloc.api.TagSpace.ADDRESS_MASK;
            return isObject(plainAddress) && tags.tagged(plainAddress) == address;
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- roots

    /**
     * {@return the calling thread's shadow stack}, made on first use and scanned by every collection
     * until {@link ShadowStack#release()} or the thread's end
     *
     * @throws IllegalStateException if the heap is closed
     */
    public ShadowStack shadowStack() {
        lock.lock();
        try {
            checkAlive("shadowStack");
            ShadowStack stack = threadStack();
            if (stack == null || stack.isReleased()) {
                int gate = (pending() ? ShadowStack.SAFEPOINT : 0)
                        | (collectEveryAllocations > 0 ? ShadowStack.STRESS : 0)
                        | (tags != null ? ShadowStack.TAGGED : 0);
                stack = new ShadowStack(this, Thread.currentThread(), gate);
                threadStack.set(new WeakReference<>(stack));
                stacks.add(stack);
            }
            return stack;
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@return a new handle that keeps {@code object} alive and follows it when it moves}, until closed
     *
     * @param object an object of this heap, or 0
     * @throws IllegalArgumentException if a non-zero {@code object} is not an object of this heap
     * @throws IllegalStateException if the heap is closed
     */
    public Handle newHandle(long object) {
        return roots.newHandle(object);
    }

    /**
     * {@link #checkReference} for a value an attached thread stores in its own roots: nursery and old
     * objects are checked without the lock; anything else (large objects, whose map changes under the
     * lock, and bad values) is checked under it.
     */
    long checkRoot(String operation, long object) {
        if (object != 0 && (tags != null || !nursery.isObjectStart(object) && !old.isObjectStart(object))) {
            lock.lock();
            try {
                return checkReference(operation, object);
            } finally {
                lock.unlock();
            }
        }
        return object;
    }

    /** Checks a reference (0 or an object, its tag too in a checked heap) and {@return its plain address}. */
    long checkReference(String operation, long object) {
        if (object == 0) {
            return 0;
        }
        long address = plain(operation, object);
        checkObject(operation, address);
        return address;
    }

    /**
     * Adds a global root: a slot that keeps its object alive for the heap's life.
     *
     * @param object an object of this heap, or 0
     * @return the slot's index, for {@link #globalRoot(int)} and {@link #setGlobalRoot(int, long)}
     * @throws IllegalArgumentException if a non-zero {@code object} is not an object of this heap
     * @throws IllegalStateException if the heap is closed
     */
    public int addGlobalRoot(long object) {
        return roots.addGlobal(object);
    }

    /**
     * {@return the object in global root {@code index}, or 0}
     *
     * @param index a slot from {@link #addGlobalRoot(long)}
     * @throws IndexOutOfBoundsException if there is no such slot
     * @throws IllegalStateException if the heap is closed
     */
    public long globalRoot(int index) {
        return roots.global(index);
    }

    /**
     * Replaces the object in global root {@code index}.
     *
     * @param index a slot from {@link #addGlobalRoot(long)}
     * @param object an object of this heap, or 0 (which drops the root's object)
     * @throws IndexOutOfBoundsException if there is no such slot
     * @throws IllegalArgumentException if a non-zero {@code object} is not an object of this heap
     * @throws IllegalStateException if the heap is closed
     */
    public void setGlobalRoot(int index, long object) {
        roots.setGlobal(index, object);
    }

    // ---------------------------------------------------------------- pinning

    /**
     * Pins an object: it never moves, so native code may hold its address, and it is kept alive (a root)
     * until unpinned. Idempotent.
     *
     * @param object an object of this heap
     * @throws IllegalArgumentException if {@code object} is not an object of this heap
     * @throws IllegalStateException if the heap is closed
     */
    public void pin(long object) {
        roots.setPinned("pin", object, true);
    }

    /**
     * Unpins an object: the next minor collection may move it (if it is in the nursery) or free it (if
     * unreachable). Idempotent.
     *
     * @param object an object of this heap
     * @throws IllegalArgumentException if {@code object} is not an object of this heap
     * @throws IllegalStateException if the heap is closed
     */
    public void unpin(long object) {
        roots.setPinned("unpin", object, false);
    }

    /**
     * {@return whether {@code object} is pinned}
     *
     * @param object an object of this heap
     * @throws IllegalArgumentException if {@code object} is not an object of this heap
     * @throws IllegalStateException if the heap is closed
     */
    public boolean isPinned(long object) {
        return roots.isPinned(object);
    }

    // ---------------------------------------------------------------- collection

    /**
     * Collects now: a minor collection (the nursery), or with {@code full} a minor then a major one
     * (mark and sweep of the old generation and the large objects, empty blocks decommitted), then a
     * second minor one; after it the nursery holds only objects reachable from roots. A minor collection
     * (this one, or one an allocation runs) is followed by a major one and a second minor one when it found
     * no old-generation room for an object, or when the old generation's use passes a trigger: twice its
     * use after the last major collection, within half and seven eighths of the limit. Such a major collection
     * keeps empty blocks committed, as many as fit between the use it leaves and the next trigger (the
     * generation fills them again before then); one asked for here decommits every empty block.
     *
     * @param full whether to collect the old generation too
     * @throws IllegalStateException if the heap is closed, or (with verification on) the verifier finds
     *     the heap inconsistent
     */
    public void collect(boolean full) {
        lock.lock();
        try {
            checkAlive("collect");
            collectLocked(full);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Offers a safepoint: if another thread waits to collect, waits here until it has (this thread's
     * addresses are then stale: reload them from roots). A mutator that runs long without allocating
     * calls this now and then, so that other threads' collections are not held up.
     *
     * @throws IllegalStateException if the heap is closed
     */
    public void safepoint() {
        if (alive && !pending()) {
            return;
        }
        lock.lock();
        try {
            checkAlive("safepoint");
            if (pending()) {
                park();
            }
        } finally {
            lock.unlock();
        }
    }

    void park() {
        safepoints.park();
    }

    void safepointChanged() {
        safepoints.changed();
    }

    /**
     * Collects once every attached thread is at a safepoint; if another thread is collecting already,
     * waits for it instead (the caller then retries what needed the room).
     */
    void collectLocked(boolean full) {
        cycle.collect(full);
    }

    /**
     * Checks the heap: every object reachable from the roots has a valid header and references only
     * objects of this heap, and every old-to-nursery reference is remembered.
     *
     * @throws IllegalStateException if the heap is closed, or naming the first inconsistency found
     */
    public void verify() {
        lock.lock();
        try {
            checkAlive("verify");
            new HeapVerifier(this).verify();
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@return a snapshot of the heap's sizes and counters}
     *
     * @throws IllegalStateException if the heap is closed
     */
    public GcStatistics statistics() {
        lock.lock();
        try {
            checkAlive("statistics");
            return stats.snapshot(this);
        } finally {
            lock.unlock();
        }
    }

    /** {@return whether the heap has not been closed} */
    public boolean isAlive() {
        return alive;
    }

    /**
     * Shuts the heap down: every region it took (nursery, old generation, card table, large objects)
     * goes back to the allocator, and an allocator the heap built itself is dropped. Idempotent. Every
     * address of the heap is invalid afterwards; other calls throw {@link IllegalStateException}.
     * If another thread is still attached (its {@link ShadowStack} not released, the thread alive), its
     * lock-free calls may be running: then the nursery's and the old generation's pages are dropped at
     * once (their memory goes back to the system) but their mappings stay until the heap is unreachable,
     * so that such a racing call reads zeros instead of an unmapped page.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (!alive) {
                return;
            }
            alive = false;
            for (ShadowStack stack : stacks) {
                stack.raise(ShadowStack.CLOSED);
            }
            threadStack.remove();
            HeapShutdown.releaseRegions(this);
        } finally {
            lock.unlock();
        }
    }
}
