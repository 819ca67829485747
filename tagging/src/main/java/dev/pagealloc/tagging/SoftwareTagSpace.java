package dev.pagealloc.tagging;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.pagealloc.api.DeferredUnmap;
import dev.pagealloc.api.MemoryTagging;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.TagMismatchException;
import dev.pagealloc.api.TagSpace;
import dev.pagealloc.api.ViewSharing;
import dev.pagealloc.spi.NativeAccess;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.util.SplittableRandom;

/**
 * The software tagger: a {@link TagSpace} whose tags are shadow bytes, one per {@value TagSpace#GRANULE_BYTES}-byte
 * granule, in a region of its own reserved for the whole range and committed as tags are set (a granule whose
 * shadow was never committed has tag 0). The tag sits in the low 4 bits of its shadow byte: a byte, not a
 * nibble, so the check is a shift, one load and a compare, as in HWASan's shadow.
 *
 * <p>Checks run only in pagealloc's tagged accessors ({@link TaggedRegion}, the layers' tagged classes);
 * plain views of the memory and native code see no tags.
 *
 * <p>The check reads the shadow through one constant segment of the global scope and a bound in a plain field,
 * so it checks no arena (a shared view's liveness check was a chain of dependent loads on every access, more
 * than the shadow load itself). That is safe because the shadow region is allocated in the core's
 * {@link DeferredUnmap} release mode, held by this object: {@link #close()} drops the shadow's pages (they read
 * zero, so a racing check sees tag 0 and fails) and the region is deallocated once the space is unreachable, so
 * a check racing with the close never reaches an unmapped page. The shadow's reservation, mappings and budget
 * charge stay taken until then ({@link DeferredUnmap} says what, and retries a refused shadow after a
 * collection).
 *
 * <p>Thread-safe: tag changes are serialized on the space; {@link #check(long, long, boolean)} takes no lock and
 * may race with them (a check sees each shadow byte before or after a change, never torn).
 */
public final class SoftwareTagSpace implements TagSpace, AutoCloseable {
    /**
     * All of the address space, in the global scope: the check's one segment, a constant. Only shadow bytes
     * below {@link #shadowLimit} of a shadow region this class keeps mapped ever reach it.
     */
    private static final MemorySegment EVERYTHING = everything();
    /**
     * Bits 0 to 61: every user-space address of a 64-bit platform (below 2^56 on x86-64 with 5-level paging,
     * kernel {@code Documentation/arch/x86/x86_64/mm.rst}; below 2^52 on arm64,
     * {@code Documentation/arch/arm64/memory.rst}). Masking the shadow's address with it changes nothing, but
     * tells the JIT that {@code shadowBase + granule} cannot overflow, so the constant segment's bounds check
     * folds away; {@link #create} refuses a shadow outside it.
     */
    private static final long USER_ADDRESS_MASK = (1L << 62) - 1;

    private final MemoryTagging tagging;
    private final long baseAddress;
    private final long byteSize;
    private final long granules;
    /** The shadow region's release mode: dropped on close, unmapped once this space is unreachable. */
    private final DeferredUnmap shadowLifetime;
    private final Region shadowRegion;
    /** The address of the shadow byte of granule 0. */
    private final long shadowBase;
    /**
     * The committed shadow's length, in granules (one byte each): {@code [shadowBase, shadowBase + shadowLimit)}
     * is committed and stays mapped while this object is reachable; 0 after {@link #close()}. Not volatile, so
     * a loop of checks loads it once: a thread sees a larger bound once it sees the tags set in it, as it does
     * whenever the tagged pointer was handed to it with a happens-before edge (every safe publication); before
     * that it sees at worst the smaller bound, past which granules read tag 0 and fail the check. Written only
     * under {@link #lock}, after the kernel committed the pages.
     */
    private long shadowLimit;
    /** Whether {@link #close()} ran; guarded by {@link #lock}. */
    private boolean closed;
    private final Object lock = new Object();
    private final SplittableRandom random = new SplittableRandom();
    /** The first asynchronous mismatch not yet reported; guarded by {@link #lock}. */
    private TagMismatchException pending;
    /**
     * Counts tag changes (written under {@link #lock}, read without): a checked view whose tags were verified
     * at one count verifies them again when it sees another ({@link TaggedLinearMemory.CheckedView}).
     */
    private long changes;

    private SoftwareTagSpace(MemoryTagging tagging, long baseAddress, long byteSize, DeferredUnmap shadow) {
        this.tagging = tagging;
        this.baseAddress = baseAddress;
        this.byteSize = byteSize;
        this.granules = byteSize / GRANULE_BYTES;
        this.shadowLifetime = shadow;
        this.shadowRegion = shadow.region();
        this.shadowBase = shadowRegion.address();
        shadow.unmapWhenUnreachable(this);
    }

    /**
     * Creates a tag space for {@code [baseAddress, baseAddress + byteSize)}, every granule tagged 0.
     *
     * @param shadowAllocator where the shadow region comes from; its views must be {@link ViewSharing#SHARED}
     *     (checks run in any thread)
     * @param tagging the tagging; its policy must be {@link MemoryTagging.TaggingPolicy#SOFTWARE}
     * @param baseAddress the address (or index) of offset 0; a multiple of {@value TagSpace#GRANULE_BYTES}
     * @param byteSize the bytes to hold tags for, rounded up to a multiple of {@value TagSpace#GRANULE_BYTES};
     *     {@code >= 1}, and {@code baseAddress + byteSize <= 1L << 56}
     * @return the tag space; close it to release its shadow
     * @throws IllegalArgumentException if an argument is out of range or the policy is not SOFTWARE; the message
     *     names it
     * @throws IllegalCallerException if the shadow region's class is in a module without native access (checks
     *     read the shadow at the region's address, so its implementation is trusted with raw memory)
     * @throws NullPointerException if {@code shadowAllocator} or {@code tagging} is null
     * @throws dev.pagealloc.api.PageAllocatorException if the shadow cannot be reserved (refused while closed
     *     shadows wait for collection, it is retried after one: {@link DeferredUnmap#allocate})
     */
    public static SoftwareTagSpace create(PageAllocator shadowAllocator, MemoryTagging tagging, long baseAddress,
            long byteSize) {
        if (tagging.policy() != MemoryTagging.TaggingPolicy.SOFTWARE) {
            throw new IllegalArgumentException("SoftwareTagSpace.create(tagging=" + tagging
                    + "): the policy must be SOFTWARE");
        }
        if (shadowAllocator.config().viewSharing() != ViewSharing.SHARED) {
            throw new IllegalArgumentException("SoftwareTagSpace.create(shadowAllocator.viewSharing="
                    + shadowAllocator.config().viewSharing() + "): the shadow is read from every thread; use SHARED");
        }
        long rounded = byteSize > 0 ? (byteSize + GRANULE_BYTES - 1) & -GRANULE_BYTES : byteSize;
        if (baseAddress < 0 || (baseAddress & (GRANULE_BYTES - 1)) != 0 || rounded < 1
                || rounded > ADDRESS_MASK + 1 - baseAddress) {
            throw new IllegalArgumentException("SoftwareTagSpace.create(baseAddress=0x" + Long.toHexString(baseAddress)
                    + ", byteSize=" + byteSize + "): the base must be a multiple of " + GRANULE_BYTES
                    + ", the size positive, and the range below 1 << 56");
        }
        long shadowPages = Math.ceilDiv(rounded / GRANULE_BYTES, shadowAllocator.pageBytes());
        DeferredUnmap shadow = DeferredUnmap.allocate(shadowAllocator, 0, shadowPages);
        // Checks read [address, address + committed bytes) of the region as raw memory: only an implementation
        // that may use memory primitives (pagealloc's own, or one in a module with native access) is trusted.
        Class<?> regionClass = shadow.region().getClass();
        var missing = NativeAccess.missingNativeAccess(regionClass.getModule());
        if (missing.isPresent()) {
            shadow.release(); // no holder yet: deallocated at once
            throw new IllegalCallerException("SoftwareTagSpace.create(shadowAllocator=" + shadowAllocator
                    + "): the shadow region's class " + regionClass.getName() + " is not trusted: "
                    + missing.get());
        }
        long shadowAddress = shadow.region().address();
        if ((shadowAddress & ~USER_ADDRESS_MASK) != 0) {
            shadow.release(); // no holder yet: deallocated at once
            throw new IllegalArgumentException("SoftwareTagSpace.create(shadowAllocator=" + shadowAllocator
                    + "): the shadow's address 0x" + Long.toHexString(shadowAddress) + " is not below 2^62");
        }
        return new SoftwareTagSpace(tagging, baseAddress, rounded, shadow);
    }

    @Override
    public MemoryTagging tagging() {
        return tagging;
    }

    @Override
    public long baseAddress() {
        return baseAddress;
    }

    @Override
    public long byteSize() {
        return byteSize;
    }

    /** {@return the shadow bytes committed so far, in bytes (one per granule); 0 once closed} */
    public long committedShadowBytes() {
        synchronized (lock) {
            return closed ? 0 : shadowRegion.byteSize();
        }
    }

    /** {@return the shadow region's release mode, for tests} */
    DeferredUnmap shadowLifetime() {
        return shadowLifetime;
    }

    /** {@return the shadow region's base, for tests that read the kernel's view of it} */
    long shadowAddress() {
        return shadowRegion.address();
    }

    @Override
    public int tagAt(long byteOffset) {
        if (byteOffset < 0 || byteOffset >= byteSize) {
            throw new IndexOutOfBoundsException("tagAt(byteOffset=" + byteOffset + "): outside [0, " + byteSize + ")");
        }
        return shadowTag(byteOffset >>> 4);
    }

    @Override
    public long pointer(long byteOffset) {
        return TagSpace.withTag(baseAddress + byteOffset, tagAt(byteOffset));
    }

    @Override
    public void setTags(long byteOffset, long byteLength, int tag) {
        checkRange("setTags", byteOffset, byteLength, false);
        if ((tag & ~0xF) != 0) {
            throw new IllegalArgumentException("setTags(tag=" + tag + "): a tag is 0..15");
        }
        synchronized (lock) {
            ensureOpen("setTags");
            fill(byteOffset, byteLength, tag);
        }
    }

    @Override
    public long tagNew(long byteOffset, long byteLength) {
        checkRange("tagNew", byteOffset, byteLength, true);
        synchronized (lock) {
            ensureOpen("tagNew");
            int tag = choose(byteOffset, byteLength, shadowTag(byteOffset >>> 4));
            fill(byteOffset, byteLength, tag);
            return TagSpace.withTag(baseAddress + byteOffset, tag);
        }
    }

    @Override
    public long retag(long pointer, long byteLength) {
        long byteOffset = (pointer & ADDRESS_MASK) - baseAddress;
        checkRange("retag", byteOffset, byteLength, true);
        synchronized (lock) {
            ensureOpen("retag");
            int old = TagSpace.tagOf(pointer);
            for (long g = byteOffset >>> 4, last = (byteOffset + byteLength - 1) >>> 4; g <= last; g++) {
                int memory = shadowTag(g);
                if (memory != old) {
                    throw new TagMismatchException("free", pointer, byteLength, baseAddress + (g << 4), memory);
                }
            }
            int tag = choose(byteOffset, byteLength, old);
            fill(byteOffset, byteLength, tag);
            return TagSpace.withTag(baseAddress + byteOffset, tag);
        }
    }

    @Override
    public long check(long pointer, long byteLength, boolean store) {
        // The hot path, kept small enough to inline into every accessor: a mask, a shift, one shadow-byte load
        // through the constant segment and compares that fold for a constant byteLength. An access within one
        // committed granule is inside [0, byteSize) without a range check of its own: the granule index bounds
        // it (a negative offset shifts to an index far past the bound). Everything else is in methods of its own.
        long offset = (pointer & ADDRESS_MASK) - baseAddress;
        return matchesInOneGranule(pointer, offset >>> 4, byteLength) ? offset
                : checkSlowly(pointer, offset, byteLength, store);
    }

    /**
     * {@link #check(long, long, boolean)} for a space whose {@link #baseAddress()} is 0 (a linear memory's):
     * the offset is the masked pointer, which the JIT knows is not negative, so the accessor's own
     * {@code index >= 0} test folds away.
     */
    long checkIndex(long pointer, long byteLength, boolean store) {
        long offset = pointer & ADDRESS_MASK;
        // The granule straight from the pointer: the shift left drops the tag byte (one instruction fewer than
        // masking, then shifting).
        long granule = (pointer << Byte.SIZE) >>> (Byte.SIZE + 4);
        return matchesInOneGranule(pointer, granule, byteLength) ? offset
                : checkSlowly(pointer, offset, byteLength, store);
    }

    /**
     * Whether the access lies in one committed granule, {@code granule} (the offset's, a granule index that is not
     * negative or is far past any bound), whose tag is the pointer's. The pointer's top byte is
     * compared whole: a pointer with bits 60 to 63 set misses here and is decided by the slow path.
     */
    private boolean matchesInOneGranule(long pointer, long granule, long byteLength) {
        // The base is a multiple of the granule, so the pointer's low bits are the offset's.
        boolean hit = byteLength >= 1 && fitsOneGranule(pointer, byteLength) && granule < shadowLimit
                && EVERYTHING.get(JAVA_BYTE, (shadowBase & USER_ADDRESS_MASK) + granule) == pointer >>> TAG_SHIFT;
        Reference.reachabilityFence(this); // keeps the shadow mapped across the load (see the class comment)
        return hit;
    }

    /**
     * Whether {@code [offset, offset + byteLength)} lies in one granule. An access of a power-of-two width up to a
     * granule aligned to its width always does: for a constant width that is one test of the low bits (what
     * compilers emit for WebAssembly loads), and only a misaligned access pays the granule-fit compare.
     */
    private static boolean fitsOneGranule(long offset, long byteLength) {
        // offset: the access's offset, or any value with the same low 4 bits
        boolean alignedPowerOfTwo = byteLength <= GRANULE_BYTES && (byteLength & (byteLength - 1)) == 0
                && (offset & (byteLength - 1)) == 0;
        return alignedPowerOfTwo || (offset & (GRANULE_BYTES - 1)) <= GRANULE_BYTES - byteLength;
    }

    /** The check of an access across granules, outside the committed shadow, or whose tags differ. */
    private long checkSlowly(long pointer, long offset, long byteLength, boolean store) {
        if (offset < 0 || byteLength < 1 || offset > byteSize - byteLength) {
            throw outside(pointer, byteLength);
        }
        int tag = TagSpace.tagOf(pointer);
        for (long g = offset >>> 4, last = (offset + byteLength - 1) >>> 4; g <= last; g++) {
            if (shadowTag(g) != tag) {
                return mismatch(pointer, offset, byteLength, store);
            }
        }
        return offset;
    }

    private IndexOutOfBoundsException outside(long pointer, long byteLength) {
        return new IndexOutOfBoundsException("check(pointer=0x" + Long.toHexString(pointer) + ", byteLength="
                + byteLength + "): outside [0x" + Long.toHexString(baseAddress) + ", 0x"
                + Long.toHexString(baseAddress + byteSize) + ")");
    }

    @Override
    public void throwPendingMismatch() {
        TagMismatchException e;
        synchronized (lock) {
            e = pending;
            pending = null;
        }
        if (e != null) {
            throw e;
        }
    }

    /**
     * Releases the shadow's pages at once ({@link Region#discard}: they read zero, their memory goes back to the
     * system). The reservation stays mapped until this space is unreachable, when the core deallocates it
     * ({@link DeferredUnmap}), so a check racing with the close never faults. Idempotent; checks and tag changes
     * afterwards throw {@link IllegalStateException}; a check racing with the close either passes (it read the tag
     * before the discard) or throws.
     *
     * @throws dev.pagealloc.api.KernelException if the kernel refuses to discard the shadow's pages (the space is
     *     closed all the same; the pages hold the old tags until the cleaner unmaps them)
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            shadowLimit = 0;
            changes++; // a checked view verifies again, and finds the space closed
            shadowLifetime.release();
        }
    }

    private void ensureOpen(String operation) {
        if (closed) {
            throw new IllegalStateException(operation + ": tag space closed");
        }
    }

    private long mismatch(long pointer, long offset, long byteLength, boolean store) {
        synchronized (lock) {
            ensureOpen("check(pointer=0x" + Long.toHexString(pointer) + ")");
        }
        int tag = TagSpace.tagOf(pointer);
        long g = offset >>> 4;
        long last = (offset + byteLength - 1) >>> 4;
        while (g < last && shadowTag(g) == tag) {
            g++;
        }
        TagMismatchException e = new TagMismatchException(store ? "store" : "load", pointer, byteLength,
                baseAddress + Math.max(offset, g << 4), shadowTag(g));
        if (tagging.mode().synchronous(store)) {
            throw e;
        }
        synchronized (lock) {
            if (pending == null) {
                pending = e;
            }
        }
        return offset;
    }

    /** {@return the tag of {@code granule}}: 0 past the committed shadow (or once closed) */
    private int shadowTag(long granule) {
        int tag = granule >= 0 && granule < shadowLimit ? EVERYTHING.get(JAVA_BYTE, shadowBase + granule) : 0;
        Reference.reachabilityFence(this);
        return tag;
    }

    @SuppressWarnings("restricted")
    private static MemorySegment everything() {
        // SAFETY: never handed out; every read through it is first bounded by shadowLimit, which covers only
        // committed shadow pages of a region this class deallocates after its space is unreachable.
        return MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    }

    /** A tag other than {@code previous} and the tags of the granules on either side of the range. */
    private int choose(long byteOffset, long byteLength, int previous) {
        long first = byteOffset >>> 4;
        long after = (byteOffset + byteLength) >>> 4;
        int exclude = 1 << previous;
        if (first > 0) {
            exclude |= 1 << shadowTag(first - 1);
        }
        if (after < granules) {
            exclude |= 1 << shadowTag(after);
        }
        return TagChooser.choose(tagging.includeMask(), exclude, random);
    }

    /** {@return how many tag changes there have been; a plain read, so a loop may load it once} */
    long changes() {
        return changes;
    }

    /** Sets the shadow of a checked range; commits shadow first, so a refusal changes no tag. */
    private void fill(long byteOffset, long byteLength, int tag) {
        changes++;
        long from = byteOffset >>> 4;
        long to = (byteOffset + byteLength) >>> 4;
        if (to > shadowLimit) {
            if (tag == 0 && from >= shadowLimit) {
                return; // uncommitted shadow reads 0 already
            }
            long pages = Math.ceilDiv(to, shadowRegion.pageBytes());
            shadowRegion.grow(pages - shadowRegion.pages());
        }
        // Written through the region's own view: tag changes are rare, and the view's checks cost nothing here.
        shadowRegion.segment().asSlice(from, to - from).fill((byte) tag);
        shadowLimit = shadowRegion.byteSize(); // after the kernel committed the pages and the tags are written
    }

    private void checkRange(String operation, long byteOffset, long byteLength, boolean nonEmpty) {
        if (byteOffset < 0 || byteLength < (nonEmpty ? 1 : 0)
                || ((byteOffset | byteLength) & (GRANULE_BYTES - 1)) != 0) {
            throw new IllegalArgumentException(operation + "(byteOffset=" + byteOffset + ", byteLength=" + byteLength
                    + "): both must be multiples of " + GRANULE_BYTES + (nonEmpty ? ", the length positive" : "")
                    + ", the offset not negative");
        }
        if (byteLength > byteSize - byteOffset) {
            throw new IndexOutOfBoundsException(operation + "(byteOffset=" + byteOffset + ", byteLength=" + byteLength
                    + "): passes byteSize=" + byteSize);
        }
    }
}
