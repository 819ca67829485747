package dev.pagealloc.tagging;

import dev.pagealloc.api.MemoryTagging;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.TagMismatchException;
import dev.pagealloc.api.TagSpace;

/**
 * A {@link TagSpace} whose tags are ARM MTE allocation tags of a region's {@code PROT_MTE} pages, set with
 * {@code IRG}/{@code STG}/{@code ST2G} and read with {@code LDG}. The CPU checks accesses of threads that
 * turned checking on ({@link dev.pagealloc.spi.HardwareMemoryTagging#enableTagChecks}); {@link #check} reads
 * the tags with {@code LDG} and compares, for Java code whose views carry tag 0.
 *
 * <p>Built and tested against a simulated MTE CPU and kernel only: it has not run on MTE hardware. Rules from
 * the kernel's {@code Documentation/arch/arm64/memory-tagging-extension.rst}: a discard
 * ({@code MADV_DONTNEED}) drops pages with their tags, so the layer tags the blocks that live there again
 * ({@link #setTags}); tags of fresh pages are 0.
 *
 * <p>Thread-safe: tag changes are serialized; checks take no lock.
 */
public final class HardwareTagSpace implements TagSpace {
    private final MemoryTagging tagging;
    private final long baseAddress;
    private final long byteSize;
    private final MteInstructions cpu;
    private final Object lock = new Object();
    /** The first asynchronous mismatch not yet reported; guarded by {@link #lock}. */
    private TagMismatchException pending;

    private HardwareTagSpace(MemoryTagging tagging, long baseAddress, long byteSize, MteInstructions cpu) {
        this.tagging = tagging;
        this.baseAddress = baseAddress;
        this.byteSize = byteSize;
        this.cpu = cpu;
    }

    /**
     * {@return the MTE tags of {@code region}}, set and read through {@code cpu}
     *
     * @param region a live region whose applied tagging has policy {@link MemoryTagging.TaggingPolicy#HARDWARE}
     * @param cpu the tag instructions
     * @throws IllegalStateException if the region is not hardware-tagged, naming its applied tagging
     */
    public static HardwareTagSpace of(Region region, MteInstructions cpu) {
        MemoryTagging tagging = region.appliedOptions().memoryTagging();
        if (tagging.policy() != MemoryTagging.TaggingPolicy.HARDWARE) {
            throw new IllegalStateException("hardware(region=0x" + Long.toHexString(region.address())
                    + "): the region's applied tagging is " + tagging + ", not HARDWARE");
        }
        return new HardwareTagSpace(tagging, region.address(),
                Math.multiplyExact(region.maximumPages(), region.pageBytes()) & -GRANULE_BYTES, cpu);
    }

    /** A tag space over a raw range: for tests against a simulated CPU, whose addresses are not real. */
    static HardwareTagSpace over(MemoryTagging tagging, long baseAddress, long byteSize, MteInstructions cpu) {
        return new HardwareTagSpace(tagging, baseAddress, byteSize, cpu);
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

    @Override
    public int tagAt(long byteOffset) {
        if (byteOffset < 0 || byteOffset >= byteSize) {
            throw new IndexOutOfBoundsException("tagAt(byteOffset=" + byteOffset + "): outside [0, " + byteSize + ")");
        }
        return TagSpace.tagOf(cpu.ldg(baseAddress + byteOffset));
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
        if (byteLength > 0) {
            synchronized (lock) {
                cpu.setTags(TagSpace.withTag(baseAddress + byteOffset, tag), byteLength);
            }
        }
    }

    @Override
    public long tagNew(long byteOffset, long byteLength) {
        checkRange("tagNew", byteOffset, byteLength, true);
        synchronized (lock) {
            return tagFresh(byteOffset, byteLength, tagAt(byteOffset));
        }
    }

    @Override
    public long retag(long pointer, long byteLength) {
        long byteOffset = (pointer & ADDRESS_MASK) - baseAddress;
        checkRange("retag", byteOffset, byteLength, true);
        synchronized (lock) {
            int old = TagSpace.tagOf(pointer);
            for (long o = byteOffset; o < byteOffset + byteLength; o += GRANULE_BYTES) {
                int memory = tagAt(o);
                if (memory != old) {
                    throw new TagMismatchException("free", pointer, byteLength, baseAddress + o, memory);
                }
            }
            return tagFresh(byteOffset, byteLength, old);
        }
    }

    private long tagFresh(long byteOffset, long byteLength, int previous) {
        int exclude = tagging.excludeMask() | 1 << previous;
        if (byteOffset > 0) {
            exclude |= 1 << tagAt(byteOffset - GRANULE_BYTES);
        }
        if (byteOffset + byteLength < byteSize) {
            exclude |= 1 << tagAt(byteOffset + byteLength);
        }
        if ((exclude & 0xFFFF) == 0xFFFF) {
            throw new IllegalArgumentException("tag(includeMask=0x" + Integer.toHexString(tagging.includeMask())
                    + ", excluded=0x" + Integer.toHexString(exclude) + "): no tag left to choose; allow more tags"
                    + " in MemoryTagging.includeMask");
        }
        long pointer = cpu.irg(baseAddress + byteOffset, exclude);
        cpu.setTags(pointer, byteLength);
        return pointer;
    }

    @Override
    public long check(long pointer, long byteLength, boolean store) {
        long offset = (pointer & ADDRESS_MASK) - baseAddress;
        if (offset < 0 || byteLength < 1 || offset > byteSize - byteLength) {
            throw new IndexOutOfBoundsException("check(pointer=0x" + Long.toHexString(pointer) + ", byteLength="
                    + byteLength + "): outside the region");
        }
        int tag = TagSpace.tagOf(pointer);
        for (long g = offset & -GRANULE_BYTES; g < offset + byteLength; g += GRANULE_BYTES) {
            int memory = tagAt(g);
            if (memory != tag) {
                TagMismatchException e = new TagMismatchException(store ? "store" : "load", pointer, byteLength,
                        baseAddress + Math.max(offset, g), memory);
                if (tagging.mode().synchronous(store)) {
                    throw e;
                }
                synchronized (lock) {
                    if (pending == null) {
                        pending = e;
                    }
                }
                break;
            }
        }
        return offset;
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
