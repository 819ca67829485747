package dev.pagealloc.heap.manual;

/**
 * Slabs by the slab-sized granule their base falls in, for {@code free}'s lookup of an address:
 * an open-addressing table read without locks or boxing. Writers (slab creation and release, both
 * rare) copy the table under this object's lock and publish the copy through a volatile field.
 */
final class SlabTable {
    private volatile Slab[] table = new Slab[64];
    private int size;
    private final int shift;

    /** @param shift log2 of the slab size */
    SlabTable(int shift) {
        this.shift = shift;
    }

    /** {@return the slab holding {@code address}, or null} */
    Slab find(long address) {
        Slab[] slots = table;
        long granule = address >>> shift;
        Slab slab = lookup(slots, granule);
        if (slab != null && slab.contains(address)) {
            return slab;
        }
        // A slab's base need not be slab-aligned: it may start in the granule before.
        slab = lookup(slots, granule - 1);
        return slab != null && slab.contains(address) ? slab : null;
    }

    synchronized void add(Slab slab) {
        Slab[] slots = table;
        int capacity = (size + 1) * 2 > slots.length ? slots.length * 2 : slots.length;
        Slab[] copy = rehash(slots, capacity, null);
        insert(copy, slab);
        size++;
        table = copy;
    }

    synchronized void remove(Slab slab) {
        table = rehash(table, table.length, slab);
        size--;
    }

    synchronized void clear() {
        table = new Slab[64];
        size = 0;
    }

    private Slab lookup(Slab[] slots, long granule) {
        int mask = slots.length - 1;
        for (int i = hash(granule) & mask; ; i = (i + 1) & mask) {
            Slab slab = slots[i];
            if (slab == null || slab.base >>> shift == granule) {
                return slab;
            }
        }
    }

    private Slab[] rehash(Slab[] slots, int capacity, Slab without) {
        Slab[] copy = new Slab[capacity];
        for (Slab slab : slots) {
            if (slab != null && slab != without) {
                insert(copy, slab);
            }
        }
        return copy;
    }

    private void insert(Slab[] slots, Slab slab) {
        int mask = slots.length - 1;
        int i = hash(slab.base >>> shift) & mask;
        while (slots[i] != null) {
            i = (i + 1) & mask;
        }
        slots[i] = slab;
    }

    private static int hash(long granule) {
        long h = granule * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 32);
    }
}
