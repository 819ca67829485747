package dev.pagealloc.tagging;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.pagealloc.api.MemoryTagging;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.TagMismatchException;
import dev.pagealloc.api.TagSpace;
import dev.pagealloc.api.ViewSharing;
import java.lang.foreign.MemorySegment;
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
 * <p>Thread-safe: tag changes are serialized on the space; {@link #check(long, long, boolean)} takes no lock and
 * may race with them (a check sees each shadow byte before or after a change, never torn).
 */
public final class SoftwareTagSpace implements TagSpace, AutoCloseable {
    private final MemoryTagging tagging;
    private final long baseAddress;
    private final long byteSize;
    private final long granules;
    private final Region shadowRegion;
    /**
     * The committed shadow: one byte per granule, {@code [0, committed granules)}. Not volatile, so a loop of
     * checks loads it once: a thread sees a newer shadow once it sees the tags set in it, as it does whenever
     * the tagged pointer was handed to it with a happens-before edge (every safe publication); before that it
     * sees at worst the smaller shadow, whose missing granules read tag 0 and fail the check.
     */
    private MemorySegment shadow;
    private final Object lock = new Object();
    private final SplittableRandom random = new SplittableRandom();
    /** The first asynchronous mismatch not yet reported; guarded by {@link #lock}. */
    private TagMismatchException pending;
    /**
     * Counts tag changes (written under {@link #lock}, read without): a checked view whose tags were verified
     * at one count verifies them again when it sees another ({@link TaggedLinearMemory.CheckedView}).
     */
    private long changes;

    private SoftwareTagSpace(MemoryTagging tagging, long baseAddress, long byteSize, Region shadowRegion) {
        this.tagging = tagging;
        this.baseAddress = baseAddress;
        this.byteSize = byteSize;
        this.granules = byteSize / GRANULE_BYTES;
        this.shadowRegion = shadowRegion;
        this.shadow = MemorySegment.NULL;
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
     * @throws NullPointerException if {@code shadowAllocator} or {@code tagging} is null
     * @throws dev.pagealloc.api.PageAllocatorException if the shadow cannot be reserved
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
        Region shadow = shadowAllocator.allocate(0, shadowPages);
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

    /** {@return the shadow bytes committed so far, in bytes (one per granule)} */
    public long committedShadowBytes() {
        return shadowRegion.byteSize();
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
        return shadowTag(shadow, byteOffset >>> 4);
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
            fill(byteOffset, byteLength, tag);
        }
    }

    @Override
    public long tagNew(long byteOffset, long byteLength) {
        checkRange("tagNew", byteOffset, byteLength, true);
        synchronized (lock) {
            int tag = choose(byteOffset, byteLength, shadowTag(shadow, byteOffset >>> 4));
            fill(byteOffset, byteLength, tag);
            return TagSpace.withTag(baseAddress + byteOffset, tag);
        }
    }

    @Override
    public long retag(long pointer, long byteLength) {
        long byteOffset = (pointer & ADDRESS_MASK) - baseAddress;
        checkRange("retag", byteOffset, byteLength, true);
        synchronized (lock) {
            int old = TagSpace.tagOf(pointer);
            MemorySegment s = shadow;
            for (long g = byteOffset >>> 4, last = (byteOffset + byteLength - 1) >>> 4; g <= last; g++) {
                int memory = shadowTag(s, g);
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
        // and a compare; everything else is in methods of its own.
        long offset = (pointer & ADDRESS_MASK) - baseAddress;
        if (offset < 0 || byteLength < 1 || offset > byteSize - byteLength) {
            throw outside(pointer, byteLength);
        }
        MemorySegment s = shadow;
        long first = offset >>> 4;
        int tag = (int) (pointer >>> TAG_SHIFT) & 0xF;
        if (((offset & 15) + byteLength <= 16 && first < s.byteSize() && s.get(JAVA_BYTE, first) == tag)
                || uniform(s, first, (offset + byteLength - 1) >>> 4, tag)) {
            return offset;
        }
        return mismatch(pointer, offset, byteLength, store);
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
     * Releases the shadow. Idempotent; checks afterwards throw {@link IllegalStateException}.
     *
     * @throws dev.pagealloc.api.KernelException if the kernel refuses to unmap the shadow
     */
    @Override
    public void close() {
        synchronized (lock) {
            shadow = MemorySegment.NULL;
            shadowRegion.deallocate();
        }
    }

    private long mismatch(long pointer, long offset, long byteLength, boolean store) {
        MemorySegment s = shadow;
        if (!shadowRegion.isAlive()) {
            throw new IllegalStateException("check(pointer=0x" + Long.toHexString(pointer) + "): tag space closed");
        }
        int tag = TagSpace.tagOf(pointer);
        long g = offset >>> 4;
        long last = (offset + byteLength - 1) >>> 4;
        while (g < last && shadowTag(s, g) == tag) {
            g++;
        }
        TagMismatchException e = new TagMismatchException(store ? "store" : "load", pointer, byteLength,
                baseAddress + Math.max(offset, g << 4), shadowTag(s, g));
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

    private static boolean uniform(MemorySegment s, long from, long to, int tag) {
        for (long g = from; g <= to; g++) {
            if (shadowTag(s, g) != tag) {
                return false;
            }
        }
        return true;
    }

    private static int shadowTag(MemorySegment s, long granule) {
        return granule < s.byteSize() ? s.get(JAVA_BYTE, granule) : 0;
    }

    /** A tag other than {@code previous} and the tags of the granules on either side of the range. */
    private int choose(long byteOffset, long byteLength, int previous) {
        MemorySegment s = shadow;
        long first = byteOffset >>> 4;
        long after = (byteOffset + byteLength) >>> 4;
        int exclude = 1 << previous;
        if (first > 0) {
            exclude |= 1 << shadowTag(s, first - 1);
        }
        if (after < granules) {
            exclude |= 1 << shadowTag(s, after);
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
        MemorySegment s = shadow;
        if (to > s.byteSize()) {
            if (tag == 0 && from >= s.byteSize()) {
                return; // uncommitted shadow reads 0 already
            }
            long pages = Math.ceilDiv(to, shadowRegion.pageBytes());
            shadowRegion.grow(pages - shadowRegion.pages());
            s = shadowRegion.segment();
            shadow = s;
        }
        s.asSlice(from, to - from).fill((byte) tag);
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
