package dev.pagealloc.heap.gc;

import dev.pagealloc.api.TagMismatchException;
import dev.pagealloc.api.TagSpace;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * A checked heap's object tags: every object's granules (its header and payload, rounded up to whole
 * {@value TagSpace#GRANULE_BYTES}-byte granules and granule-aligned) carry a tag given at allocation and
 * changed when the object dies or moves, and pointers handed out carry the object's tag in bits 56 to 59.
 * Tag changes run under the heap's lock; reads ({@link #tagged(long)}, {@link #check}) from any thread.
 *
 * <p>A large object's region goes back to the allocator when the object dies, and its tag space with it. So
 * that a stale pointer into it is still a tag mismatch (as it is for a small object, whose granules are
 * retagged), the range is remembered with a retired tag, never the object's, for the last
 * {@value #RETIRED_LIMIT} large objects that died (a few dozen bytes each) or until a new large object's region
 * takes the range; an older stale pointer gets the heap's own "not an object".
 */
final class ObjectTags {

    private final ObjectTagSpaces factory;
    private final TagSpace nursery;
    private final TagSpace old;
    /** Large objects' tag spaces by their region's base address. */
    private final Map<Long, TagSpace> large = new ConcurrentSkipListMap<>();
    /** How many dead large objects' ranges are remembered. */
    static final int RETIRED_LIMIT = 4096;
    /** Dead large objects' ranges by their region's base address; written under the heap's lock. */
    private final ConcurrentSkipListMap<Long, Retired> retired = new ConcurrentSkipListMap<>();
    /** {@link #retired}'s entries, oldest first; under the heap's lock. */
    private final ArrayDeque<Retired> retiredOrder = new ArrayDeque<>();
    /**
     * The first asynchronous mismatch not yet reported that no open tag space holds: one against a retired range,
     * or one a large object's space held when it closed. Guarded by {@code this}.
     */
    private TagMismatchException pending;

    /** A dead large object's range, {@code [address, address + byteSize)}, and the tag its granules now read. */
    private record Retired(long address, long byteSize, int tag) {}

    ObjectTags(ObjectTagSpaces factory, long nurseryBase, long nurseryBytes, long oldBase, long oldBytes) {
        this.factory = factory;
        this.nursery = factory.open(nurseryBase, nurseryBytes);
        try {
            if ((nursery.tagging().includeMask() & 1) != 0) {
                throw new IllegalArgumentException("build(objectTags.includeMask=0x"
                        + Integer.toHexString(nursery.tagging().includeMask())
                        + "): tag 0 must be excluded, so that an untagged address never matches a live object");
            }
            // The nursery's tags are set in every minor collection: their memory is committed now, so that no
            // collection fails half-way for want of it (old-generation blocks commit theirs as they are added).
            prepareSpace(nursery, nurseryBase, nurseryBytes);
            this.old = factory.open(oldBase, oldBytes);
        } catch (RuntimeException e) {
            close(nursery);
            throw e;
        }
    }

    private TagSpace spaceOf(long address) {
        if (address - nursery.baseAddress() >= 0 && address - nursery.baseAddress() < nursery.byteSize()) {
            return nursery;
        }
        if (address - old.baseAddress() >= 0 && address - old.baseAddress() < old.byteSize()) {
            return old;
        }
        Map.Entry<Long, TagSpace> entry = ((ConcurrentSkipListMap<Long, TagSpace>) large).floorEntry(address);
        if (entry != null && address - entry.getKey() < entry.getValue().byteSize()) {
            return entry.getValue();
        }
        return null;
    }

    /**
     * Gives a new object at {@code headerAddress} of {@code objectBytes} (whole granules) a fresh tag, never
     * its granules' old one nor a neighbour's, and {@return the tagged pointer to its payload}.
     */
    long tagNew(long headerAddress, long objectBytes) {
        TagSpace space = spaceOf(headerAddress);
        return space.tagNew(headerAddress - space.baseAddress(), objectBytes) + Header.BYTES;
    }

    /**
     * Commits the tag memory of {@code [address, address + byteLength)}, which holds no object: its granules
     * get tag 0, which no pointer the heap hands out carries.
     */
    void prepare(long address, long byteLength) {
        prepareSpace(spaceOf(address), address, byteLength);
    }

    private static void prepareSpace(TagSpace space, long address, long byteLength) {
        space.setTags(address - space.baseAddress(), byteLength, 0);
    }

    /** Gives the granules of an object that died or moved away a new tag: its pointers stop working. */
    void retag(long headerAddress, long objectBytes) {
        TagSpace space = spaceOf(headerAddress);
        space.retag(space.pointer(headerAddress - space.baseAddress()), objectBytes);
    }

    /**
     * Opens the tag space of a new large object's region, tags the object and {@return its tagged pointer}; if the
     * tags cannot be set, closes the space again and throws, nothing changed.
     */
    long openLarge(long regionAddress, long regionBytes, long objectBytes) {
        TagSpace space = factory.open(regionAddress, regionBytes);
        long pointer;
        try {
            pointer = space.tagNew(0, objectBytes) + Header.BYTES;
        } catch (RuntimeException e) {
            close(space); // nothing else changed
            throw e;
        }
        Map.Entry<Long, Retired> before = retired.floorEntry(regionAddress);
        if (before != null && regionAddress - before.getKey() < before.getValue().byteSize()) {
            retired.remove(before.getKey()); // the new region takes the range: its own tags now decide
        }
        retired.subMap(regionAddress, regionAddress + regionBytes).clear();
        large.put(regionAddress, space);
        return pointer;
    }

    /** Drops the tag space of a large object's region, which is going back to the allocator. */
    void closeLarge(long regionAddress) {
        TagSpace space = large.remove(regionAddress);
        if (space != null) {
            int objectTag = space.tagAt(0);
            Retired range = new Retired(regionAddress, space.byteSize(), retiredTag(objectTag));
            retired.put(regionAddress, range);
            retiredOrder.addLast(range);
            if (retiredOrder.size() > RETIRED_LIMIT) {
                Retired oldest = retiredOrder.removeFirst();
                retired.remove(oldest.address(), oldest); // unless a later one took its place
            }
            try {
                space.throwPendingMismatch(); // an asynchronous mismatch must outlive the space
            } catch (TagMismatchException e) {
                record(e);
            } finally {
                close(space);
            }
        }
    }

    /** A tag of the include mask other than {@code objectTag} (and 0), or 0 if the mask has no other. */
    private int retiredTag(int objectTag) {
        int others = nursery.tagging().includeMask() & ~(1 << objectTag) & ~1;
        return others == 0 ? 0 : Integer.numberOfTrailingZeros(others);
    }

    private synchronized void record(TagMismatchException e) {
        if (pending == null) {
            pending = e;
        }
    }

    /**
     * Throws an asynchronous mismatch not yet reported, if there is one: first one this class holds (against a
     * dead large object, or of a large object's space that closed), then the nursery's, the old generation's and
     * the live large objects' spaces', in that order; each is thrown once.
     */
    void throwPendingMismatch() {
        TagMismatchException e;
        synchronized (this) {
            e = pending;
            pending = null;
        }
        if (e != null) {
            throw e;
        }
        nursery.throwPendingMismatch();
        old.throwPendingMismatch();
        for (TagSpace space : large.values()) {
            space.throwPendingMismatch();
        }
    }

    /** {@return {@code address} (an object's, or 0) carrying its object's tag} */
    long tagged(long address) {
        TagSpace space = address == 0 ? null : spaceOf(address);
        return space == null ? address
                : TagSpace.withTag(address, space.tagAt(address - Header.BYTES - space.baseAddress()));
    }

    /**
     * Checks an access of {@code width} bytes at {@code byteOffset} from {@code pointer} against the tags
     * of the granules it touches, as the hardware would check a load or store through the pointer, and
     * {@return the pointer's address}. An address in a dead large object's remembered range mismatches its retired
     * tag; any other address outside every tagged range is returned unchecked: the heap's own checks then name it.
     *
     * @throws dev.pagealloc.api.TagMismatchException if the tags differ (in a mode that reports at once)
     */
    long check(long pointer, long byteOffset, long width, boolean store) {
        long address = TagSpace.addressOf(pointer);
        long target = address + byteOffset;
        TagSpace space = spaceOf(target);
        if (space != null && byteOffset >= -Header.BYTES
                && target - space.baseAddress() <= space.byteSize() - Math.max(width, 1)) {
            space.check(pointer + byteOffset, Math.max(width, 1), store);
        } else if (space == null && byteOffset >= -Header.BYTES) {
            checkRetired(pointer + byteOffset, target, Math.max(width, 1), store);
        }
        return address;
    }

    /** A stale pointer into a dead large object's range: its tag is never the range's retired tag. */
    private void checkRetired(long pointer, long target, long byteLength, boolean store) {
        Map.Entry<Long, Retired> entry = retired.floorEntry(target);
        if (entry == null || target - entry.getKey() >= entry.getValue().byteSize()
                || TagSpace.tagOf(pointer) == entry.getValue().tag()) {
            return;
        }
        TagMismatchException e = new TagMismatchException(store ? "store" : "load", pointer, byteLength, target,
                entry.getValue().tag());
        if (nursery.tagging().mode().synchronous(store)) {
            throw e;
        }
        record(e);
    }

    /** {@return the address of an object pointer (or 0), after checking its tag against the object's header} */
    long object(long pointer) {
        return pointer == 0 ? 0 : check(pointer, -Header.BYTES, Header.BYTES, false);
    }

    /**
     * {@return null if the granules of the object at {@code headerAddress} all carry one non-zero tag, else
     * what is wrong}; for the verifier
     */
    String inconsistency(long headerAddress, long objectBytes) {
        TagSpace space = spaceOf(headerAddress);
        if (space == null) {
            return "has no tag space";
        }
        long offset = headerAddress - space.baseAddress();
        int tag = space.tagAt(offset);
        if (tag == 0) {
            return "has tag 0 (never tagged)";
        }
        for (long at = TagSpace.GRANULE_BYTES; at < objectBytes; at += TagSpace.GRANULE_BYTES) {
            if (space.tagAt(offset + at) != tag) {
                return "has tag " + space.tagAt(offset + at) + " at byte " + at + " of its granules, not its tag "
                        + tag;
            }
        }
        return null;
    }

    void close() {
        retired.clear();
        retiredOrder.clear();
        for (TagSpace space : large.values()) {
            close(space);
        }
        large.clear();
        close(old);
        close(nursery);
    }

    private static void close(TagSpace space) {
        if (space instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("closing the tag space at 0x" + Long.toHexString(space.baseAddress())
                        + ": " + e, e);
            }
        }
    }
}
