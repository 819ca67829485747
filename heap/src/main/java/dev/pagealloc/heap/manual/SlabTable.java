package dev.pagealloc.heap.manual;

/**
 * Slabs by the slab-sized granules they touch, for {@code free}'s lookup of an address: an
 * open-addressing table read without locks or boxing. A slab (one granule long, not necessarily
 * granule-aligned) touches at most two granules and is entered under each, so the probe that starts
 * at the address's own granule meets it: one probe sequence, ended by the first slab that contains
 * the address or by an empty slot. Writers (slab creation and release, both rare) copy the table
 * under this object's lock and publish the copy through a volatile field.
 */
final class SlabTable {
    private volatile Slab[] table = new Slab[64];
    /** The same array as {@link #table}, for {@link #findRacy}. */
    private Slab[] racyTable = table;
    private int size;
    private final int shift;

    /** @param shift log2 of the slab size */
    SlabTable(int shift) {
        this.shift = shift;
    }

    /** {@return the slab holding {@code address}, or null} */
    Slab find(long address) {
        return find(table, address);
    }

    /**
     * {@return the slab holding {@code address}, or null} Reads the table with a plain load, so that
     * the JIT keeps what it loaded before (a volatile load is a compiler barrier). Exact for an address
     * of a block whose allocation happens-before the call (JLS 17.4.5): the slab entered the table
     * before the block was handed out. Otherwise it may see an older table, which misses a newer slab
     * (null) or holds a released one (whose blocks all read freed): callers recheck with {@link #find}.
     * A torn read is impossible: the field holds a reference, and the arrays it points to are never
     * written after publication.
     */
    Slab findRacy(long address) {
        return find(racyTable, address);
    }

    private Slab find(Slab[] slots, long address) {
        int mask = slots.length - 1;
        for (int i = hash(address >>> shift) & mask; ; i = (i + 1) & mask) {
            Slab slab = slots[i];
            if (slab == null || slab.contains(address)) {
                return slab;
            }
        }
    }

    synchronized void add(Slab slab) {
        Slab[] slots = table;
        // Two entries a slab, at most half full.
        int capacity = (size + 1) * 4 > slots.length ? slots.length * 2 : slots.length;
        Slab[] copy = rehash(slots, capacity, null);
        insert(copy, slab);
        size++;
        table = copy;
        racyTable = copy;
    }

    synchronized void remove(Slab slab) {
        table = rehash(table, table.length, slab);
        racyTable = table;
        size--;
    }

    synchronized void clear() {
        table = new Slab[64];
        racyTable = table;
        size = 0;
    }

    private Slab[] rehash(Slab[] slots, int capacity, Slab without) {
        Slab[] copy = new Slab[capacity];
        // A slab is entered once per granule it touches: re-entered once.
        java.util.Set<Slab> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Slab slab : slots) {
            if (slab != null && slab != without && seen.add(slab)) {
                insert(copy, slab);
            }
        }
        return copy;
    }

    private void insert(Slab[] slots, Slab slab) {
        long first = slab.base >>> shift;
        long last = (slab.base + slab.byteSize - 1) >>> shift;
        for (long granule = first; granule <= last; granule++) {
            int mask = slots.length - 1;
            int i = hash(granule) & mask;
            while (slots[i] != null) {
                i = (i + 1) & mask;
            }
            slots[i] = slab;
        }
    }

    private static int hash(long granule) {
        long h = granule * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 32);
    }
}
