package dev.pagealloc.bench;

import static dev.pagealloc.bench.GcCheckFloorCpuTimes.DEPTH;
import static dev.pagealloc.bench.GcCheckFloorCpuTimes.TREE_NODES;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.Set;

/**
 * The off-heap levels' object space: 32 MiB (or three trees, if more) from a shared arena, read and written
 * through one global segment by plain {@code long} addresses (the GC heap's technique), a header word before
 * each object's payload (type id in bits 8..23, exact payload size in bytes from bit 24), per-type headers and
 * reference-slot masks in {@code long[]}s indexed by type id, roots in a {@code long[]}, a start bitmap where a
 * level claims one. No
 * collection: between trees the bump pointer goes back to the start when the next tree does not fit, and the
 * bitmap's used part is cleared. The levels ({@link CheckFloorLevels}) are made of the pieces here. Confined to
 * the thread that made it where a level claims {@link Check#OWNER_AND_STATE}; else not thread-safe.
 */
abstract sealed class CheckFloorSpace extends GcCheckFloorCpuTimes.Peer implements AutoCloseable
        permits CheckFloorLevels.Raw, CheckFloorLevels.Bounds, CheckFloorLevels.SlotKinds, CheckFloorLevels.StartBits,
        CheckFloorLevels.Confined, CheckFloorLevels.ConfinedKnown, CheckFloorLevels.StartBitsAlone,
        CheckFloorLevels.ConfinedAlone {
    /** A binary-trees node: 16 bytes of payload, references at byte offsets 0 and 8. */
    static final int NODE = 1;
    /** A type for the tests: 16 bytes of payload, a long at byte offset 0, a reference at 8. */
    static final int BOX = 2;
    static final long HEADER_BYTES = 8;
    static final int TYPE_SHIFT = 8;
    static final int SIZE_SHIFT = 24;
    /** State word bit: park at the next call (a collection waits). */
    static final int SAFEPOINT = 1;
    /** State word bit: closed; every call throws. */
    static final int CLOSED = 2;
    private static final long TREE_BYTES = TREE_NODES * (HEADER_BYTES + 16);
    private static final long SPACE_BYTES = Math.max(32L << 20, (3 * TREE_BYTES + (1 << 20)) & -(1L << 20));
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(CheckFloorSpace.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A check an off-heap level makes on every call that it applies to, beyond Java's own array bounds. */
    enum Check {
        /**
         * A read's offset inside the exact payload size in the object's header, and 8-aligned; a pair allocation's
         * type has two words of payload.
         */
        BOUNDS,
        /**
         * A read's slot is a reference slot (the header's type id selects a mask of them); allocation's type is
         * registered, a pair allocation's type has reference slots at byte offsets 0 and 8.
         */
        SLOT_KIND,
        /**
         * Every object argument (a read's object, a pushed root, a reference passed to allocation) is an object
         * start.
         */
        START_BITMAP,
        /** The caller is the owner thread, and the state word reads 0 (else: closed, or park at a safepoint). */
        OWNER_AND_STATE
    }

    /** The words of every space: the callers' checks, where a level makes them, keep the accesses in a space. */
    static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED;
    static final MemorySegment ALL = everything();

    private final String label;
    private final Set<Check> checks;
    private final Arena arena = Arena.ofShared();
    final long base;
    final long limit;
    long cursor;
    final long[] headers = new long[1 << 16];
    final long[] masks = new long[1 << 16];
    /** Bit {@code i} set when an object's payload starts at the space's 8-byte word {@code i}; null if unclaimed. */
    final long[] starts;
    final long[] roots = new long[64];
    int top;
    final Thread owner = Thread.currentThread();
    @SuppressWarnings("unused") // accessed through STATE
    private int state;
    // ConfinedKnown's objects handed out since the last reset: 0 or an object each, until the next reset.
    long lastAllocated;
    long lastPopped;
    long lastRead;
    /** Calls that parked because the state word asked them to (safepoints taken). */
    int parks;
    private long kept;

    CheckFloorSpace(String label, Set<Check> checks) {
        this.label = label;
        this.checks = Set.copyOf(checks);
        base = arena.allocate(SPACE_BYTES, 4096).address();
        limit = base + SPACE_BYTES;
        cursor = base;
        starts = checks.contains(Check.START_BITMAP) ? new long[(int) (SPACE_BYTES >>> 9)] : null;
        headers[NODE] = (long) NODE << TYPE_SHIFT | 16L << SIZE_SHIFT;
        masks[NODE] = 0b11;
        headers[BOX] = (long) BOX << TYPE_SHIFT | 16L << SIZE_SHIFT;
        masks[BOX] = 0b10;
    }

    @Override
    final String label() {
        return label;
    }

    /** {@return the checks this level makes} */
    final Set<Check> checks() {
        return checks;
    }

    @SuppressWarnings("restricted")
    private static MemorySegment everything() {
        // SAFETY: never handed out; the off-heap levels address their own spaces through it, and the raw levels'
        // unchecked reads are given only addresses inside them (the test's negative cases included).
        return MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    }

    // ------------------------------------------------------------ the level's calls

    /** {@return a new object of a type, its payload zero} */
    abstract long allocate(int typeId);

    /** {@return a new object of a type, its words at byte offsets 0 and 8 set to {@code first} and {@code second}} */
    abstract long allocate(int typeId, long first, long second);

    /** Pushes a root. */
    abstract void push(long object);

    /** {@return the last root pushed}, popped */
    abstract long pop();

    /** {@return the reference at {@code byteOffset} of {@code object}} */
    abstract long getReference(long object, long byteOffset);

    /** {@return the root of a new tree of {@code depth}}, built bottom-up with the level's calls */
    abstract long build(int depth);

    /** {@return the nodes of the tree at {@code node}}, counted with the level's calls */
    abstract long check(long node);

    @Override
    final long buildTrees(int trees) {
        long sink = 0;
        for (int i = 0; i < trees; i++) {
            makeRoom();
            sink += build(DEPTH);
        }
        return sink;
    }

    @Override
    final void buildKept() {
        makeRoom();
        kept = build(DEPTH);
    }

    @Override
    final long checkKept(int times) {
        long nodes = 0;
        for (int i = 0; i < times; i++) {
            nodes += check(kept);
        }
        return nodes;
    }

    /** Starts the space again if a tree does not fit: all its objects are dead (the trees are dropped). */
    final void makeRoom() {
        if (limit - cursor < TREE_BYTES) {
            reset();
        }
    }

    /** Starts the space again; every object in it is dead, and none is known any more. */
    final void reset() {
        if (starts != null) {
            Arrays.fill(starts, 0, (int) ((cursor - base + 511) >>> 9), 0L);
        }
        cursor = base;
        lastAllocated = 0;
        lastPopped = 0;
        lastRead = 0;
    }

    /** Raises the state word's {@link #SAFEPOINT} bit, as a collection would. */
    final void requestSafepoint() {
        STATE.setOpaque(this, (int) STATE.getOpaque(this) | SAFEPOINT);
    }

    /** Closes the space: the state word reads {@link #CLOSED}, and the memory goes back. */
    @Override
    public final void close() {
        STATE.setOpaque(this, CLOSED);
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    // ------------------------------------------------------------ the pieces the levels are made of

    /** Bumps an object with {@code header}, writes the header; {@return the payload's address} */
    final long bump(long header) {
        long object = cursor + HEADER_BYTES;
        long end = object + ((header >>> SIZE_SHIFT) + 7 & ~7L);
        if (end > limit) {
            throw new IllegalStateException("allocate(header=0x" + Long.toHexString(header) + "): "
                    + (limit - cursor) + " bytes left in the space");
        }
        ALL.set(WORD, cursor, header);
        cursor = end;
        return object;
    }

    /** {@return a new object with {@code header}, its payload zero} */
    final long leaf(long header) {
        long object = bump(header);
        for (long at = object; at < cursor; at += 8) {
            ALL.set(WORD, at, 0L);
        }
        return object;
    }

    /** {@return a new object with {@code header}, {@code first} and {@code second} in its first two words} */
    final long pair(long header, long first, long second) {
        long object = bump(header);
        ALL.set(WORD, object, first);
        ALL.set(WORD, object + 8, second);
        for (long at = object + 16; at < cursor; at += 8) {
            ALL.set(WORD, at, 0L);
        }
        return object;
    }

    /** {@link Check#BOUNDS} of a pair allocation: {@return the type's header}, whose payload holds two words */
    final long pairFits(int typeId) {
        long header = headers[typeId];
        if (header >>> SIZE_SHIFT < 16) {
            throw new IllegalArgumentException("allocate(typeId=" + typeId + ", first, second): the payload of "
                    + (header >>> SIZE_SHIFT) + " bytes has no two words");
        }
        return header;
    }

    /** {@link Check#SLOT_KIND} of an allocation: {@return the header of a registered type} */
    final long knownType(int typeId) {
        long header = headers[typeId];
        if (header == 0) {
            throw new IllegalArgumentException("allocate(typeId=" + typeId + "): no such type");
        }
        return header;
    }

    /** {@link Check#SLOT_KIND} of a pair allocation: {@return the header of a type with references at 0 and 8} */
    final long pairSlots(int typeId) {
        if ((masks[typeId] & 0b11) != 0b11) {
            throw new IllegalArgumentException("allocate(typeId=" + typeId + ", first, second): the type has no"
                    + " reference slots at byte offsets 0 and 8");
        }
        return headers[typeId];
    }

    /** {@link Check#BOUNDS} of a read: {@return the object's header}, the 8-byte access inside its payload */
    final long payloadHeader(String operation, long object, long byteOffset) {
        long header = ALL.get(WORD, object - HEADER_BYTES);
        long payloadBytes = header >>> SIZE_SHIFT;
        // 0 <= byteOffset <= payloadBytes - 8 in one sign test.
        if ((byteOffset | (payloadBytes - 8 - byteOffset)) < 0 || (byteOffset & 7) != 0) {
            throw new IndexOutOfBoundsException(operation + "(object=0x" + Long.toHexString(object) + ", byteOffset="
                    + byteOffset + "): not an 8-aligned word inside the payload of " + payloadBytes + " bytes");
        }
        return header;
    }

    /** {@link Check#BOUNDS} and {@link Check#SLOT_KIND} of a read: a reference slot inside the payload. */
    final void checkReferenceSlot(String operation, long object, long byteOffset) {
        long header = payloadHeader(operation, object, byteOffset);
        int typeId = (int) (header >>> TYPE_SHIFT) & 0xFFFF;
        if ((masks[typeId] >>> (byteOffset >>> 3) & 1) == 0) {
            throw new IllegalArgumentException(operation + "(object=0x" + Long.toHexString(object) + ", byteOffset="
                    + byteOffset + "): not a reference slot of type " + typeId);
        }
    }

    /** {@link Check#START_BITMAP}: refuses {@code value} unless it is an object start (0 is not). */
    final void checkObject(String operation, long value) {
        long offset = value - base;
        if (offset < HEADER_BYTES || offset >= SPACE_BYTES || (offset & 7) != 0
                || (starts[(int) (offset >>> 9)] >>> (offset >>> 3) & 1) == 0) {
            throw new IllegalArgumentException(operation + "(0x" + Long.toHexString(value)
                    + "): not an object of this space");
        }
    }

    /** {@link Check#START_BITMAP}: refuses {@code value} unless it is 0 or an object start. */
    final void checkObjectOrNull(String operation, long value) {
        if (value != 0) {
            checkObject(operation, value);
        }
    }

    /** {@return whether {@code value} is an object the space handed out since its last reset} */
    final boolean knows(long value) {
        return value != 0 && (value == lastAllocated || value == lastPopped || value == lastRead);
    }

    /** {@link Check#START_BITMAP}: records a new object. */
    final void markStart(long object) {
        long offset = object - base;
        starts[(int) (offset >>> 9)] |= 1L << (offset >>> 3);
    }

    /** {@link Check#OWNER_AND_STATE}: the owner's thread, then one opaque read of the state word. */
    final void enter(String operation) {
        if (Thread.currentThread() != owner) {
            throw new WrongThreadException(operation + ": this space belongs to thread " + owner.getName()
                    + ", not " + Thread.currentThread().getName());
        }
        int bits = (int) STATE.getOpaque(this);
        if (bits != 0) {
            safepoint(operation, bits);
        }
    }

    private void safepoint(String operation, int bits) {
        if ((bits & CLOSED) != 0) {
            throw new IllegalStateException(operation + ": the space is closed");
        }
        // A collector would run here, the owner parked; this one only takes note.
        parks++;
        STATE.setOpaque(this, 0);
    }
}
