package dev.pagealloc.heap.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Random object graphs mirrored by plain Java objects: random allocations (small, array, large),
 * reference stores, frame pushes and pops, root changes, handles, globals, pins and collections; after
 * every step the heap's graph, seen from every root, is isomorphic to the model, pinned objects have not
 * moved, and (through the builder) the verifier runs after every collection.
 */
class ModelBasedTest {

    private static final int STEPS = 4000;

    /** A model object: kind 0 an {@code Obj} (3 references and its id), 1 a reference array, 2 bytes. */
    private static final class M {
        final int id;
        final int kind;
        final M[] refs;
        final byte[] bytes;

        M(int id, int kind, int length) {
            this.id = id;
            this.kind = kind;
            this.refs = kind == 2 ? new M[0] : new M[kind == 0 ? 3 : length];
            this.bytes = new byte[kind == 2 ? length : 0];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = (byte) (id * 31 + i);
            }
        }
    }

    private record Pair(M model, long address) {
    }

    private GcHeap heap;
    private boolean objectTags;
    private ShadowStack stack;
    private int objType;
    /** Obj's three reference slots as handles, mixed in with the offset forms. */
    private ReferenceSlot[] objSlots;
    private int refsType;
    private int bytesType;
    private Random random;
    private int nextId;
    private final List<M> stackSlots = new ArrayList<>();
    private final List<Integer> frameStarts = new ArrayList<>();
    private final List<Handle> handles = new ArrayList<>();
    private final List<M> handleModels = new ArrayList<>();
    private final List<M> globals = new ArrayList<>();
    private final Map<M, Long> pinned = new IdentityHashMap<>();

    // Stress mode (a collection every 61 allocations) sends every allocation through the locked path; with it
    // off, fixed objects take the mutator's lock-free buffer and collections come from the steps.
    // Compaction moves old objects in every major collection (the steps ask for one in four collections).
    // Object tags (the checked mode, with ArrayTagSpaces) hand out tagged addresses and send every call through
    // the lock; the verifier then also checks each reachable object's granules carry one non-zero tag.
    @ParameterizedTest(name = "seed {0}, collect every {1} allocations, compaction {2}, object tags {3}")
    @CsvSource({"1, 61, false, false", "2, 61, true, false", "3, 61, false, false", "20261129, 61, true, false",
        "4, 0, false, false", "5, 0, true, false", "6, 0, true, false", "7, 61, true, true", "8, 0, false, true",
        "9, 0, true, true"})
    void shouldKeepTheHeapIsomorphicToTheModel(long seed, int collectEvery, boolean compaction, boolean tagged) {
        random = new Random(seed);
        GcHeapBuilder builder = GcHeap.builder().withNurseryBytes(1 << 20).withOldGenerationLimitBytes(32 << 20)
                .withLargeObjectThresholdBytes(4096).withCollectEveryAllocations(collectEvery)
                .withCompaction(compaction)
                .withVerifyAfterCollection(true);
        objectTags = tagged;
        heap = (tagged ? builder.withObjectTags(new ArrayTagSpaces(seed)) : builder).build();
        try {
            objType = heap.registerType(new TypeLayout.Fixed("Obj", 32, 0, 8, 16));
            objSlots = new ReferenceSlot[] {heap.referenceSlot(objType, 0), heap.referenceSlot(objType, 8),
                heap.referenceSlot(objType, 16)};
            refsType = heap.registerType(new TypeLayout.ReferenceArray("Refs"));
            bytesType = heap.registerType(new TypeLayout.PrimitiveArray("Bytes", 1));
            stack = heap.shadowStack();
            stack.pushFrame();
            frameStarts.add(0);
            for (int step = 0; step < STEPS; step++) {
                try {
                    step();
                    checkIsomorphic();
                } catch (AssertionError | RuntimeException e) {
                    throw new AssertionError("seed=" + seed + " step=" + step + ": " + e, e);
                }
            }
            // Drop every root: a full collection then frees the whole old generation and every large object.
            while (stack.depth() > 0) {
                stack.popFrame();
            }
            handles.forEach(Handle::close);
            for (int i = 0; i < globals.size(); i++) {
                heap.setGlobalRoot(i, 0);
            }
            pinned.values().forEach(heap::unpin);
            if (compaction) {
                assertTrue(heap.stats.compactedBytes > 0, "compaction moved objects during the steps");
            }
            heap.collect(true);
            GcStatistics stats = heap.statistics();
            assertEquals(0, stats.oldGenerationUsedBytes(), stats::toString);
            assertEquals(0, stats.largeObjects(), stats::toString);
            assertEquals(0, stats.pinnedObjects(), stats::toString);
            assertEquals(stats.allocatedBytes(), stats.reclaimedBytes(),
                    "everything allocated was reclaimed: " + stats);
            assertEquals(0, stats.nurseryUsedBytes(), stats::toString);
        } finally {
            heap.close();
        }
    }

    private void step() {
        int op = random.nextInt(100);
        if (op < 35) {
            allocate();
        } else if (op < 60) {
            store();
        } else if (op < 66) {
            if (stackSlots.size() < 200) {
                stack.pushFrame();
                frameStarts.add(stackSlots.size());
            }
        } else if (op < 72 || stackSlots.size() > 300) {
            if (frameStarts.size() > 1) {
                stack.popFrame();
                int start = frameStarts.removeLast();
                stackSlots.subList(start, stackSlots.size()).clear();
            }
        } else if (op < 78) {
            if (!stackSlots.isEmpty()) {
                int slot = random.nextInt(stackSlots.size());
                Pair target = randomReachableOrNull();
                stack.setRoot(slot, target.address());
                stackSlots.set(slot, target.model());
            }
        } else if (op < 82) {
            if (handles.size() > 8 || (random.nextBoolean() && !handles.isEmpty())) {
                int i = random.nextInt(handles.size());
                handles.remove(i).close();
                handleModels.remove(i);
            } else {
                Pair target = randomReachableOrNull();
                handles.add(heap.newHandle(target.address()));
                handleModels.add(target.model());
            }
        } else if (op < 85) {
            Pair target = randomReachableOrNull();
            if (globals.size() < 6) {
                assertEquals(globals.size(), heap.addGlobalRoot(target.address()));
                globals.add(target.model());
            } else {
                int i = random.nextInt(globals.size());
                heap.setGlobalRoot(i, target.address());
                globals.set(i, target.model());
            }
        } else if (op < 92) {
            if (random.nextBoolean() && !pinned.isEmpty()) {
                M m = new ArrayList<>(pinned.keySet()).get(random.nextInt(pinned.size()));
                heap.unpin(pinned.remove(m));
            } else {
                Pair target = randomReachable();
                if (target != null && pinned.size() < 6) {
                    heap.pin(target.address());
                    pinned.put(target.model(), target.address());
                }
            }
        } else {
            heap.collect(random.nextInt(4) == 0);
        }
    }

    private void allocate() {
        int kind = random.nextInt(3);
        boolean large = kind == 1 && random.nextInt(20) == 0;
        int length = large ? 600 : 1 + random.nextInt(kind == 2 ? 40 : 8);
        M m = new M(nextId++, kind, length);
        long address;
        if (kind == 0 && random.nextBoolean()) {
            // Two references stored by the allocation itself, kept alive by it if it collects: the values'
            // addresses are read before it and may be stale after.
            Pair first = randomReachableOrNull();
            Pair second = randomReachableOrNull();
            if (random.nextBoolean()) {
                address = heap.allocate(objType, first.address(), second.address());
            } else {
                // The stack's calls: the first value through push and pop (a value the stack then knows).
                stack.push(first.address());
                address = stack.allocate(objType, stack.pop(), second.address());
            }
            m.refs[0] = first.model();
            m.refs[1] = second.model();
            heap.setLong(address, 24, m.id);
        } else if (kind == 0) {
            address = random.nextBoolean() ? heap.allocate(objType) : stack.allocate(objType);
            heap.setLong(address, 24, m.id);
        } else if (kind == 1) {
            address = heap.allocateArray(refsType, length);
        } else {
            address = heap.allocateArray(bytesType, length);
            for (int i = 0; i < length; i++) {
                heap.setByte(address, i, m.bytes[i]);
            }
        }
        assertEquals(objectTags, dev.pagealloc.api.TagSpace.tagOf(address) != 0, "a tagged address iff object tags");
        stack.addRoot(address);
        stackSlots.add(m);
    }

    private void store() {
        Pair holder = randomReachable();
        if (holder == null || holder.model().refs.length == 0) {
            return;
        }
        int index = random.nextInt(holder.model().refs.length);
        Pair target = randomReachableOrNull();
        int way = random.nextInt(3);
        if (way == 0) {
            heap.setReference(holder.address(), index * 8L, target.address());
        } else if (way == 1 || heap.typeOf(holder.address()) != objType) {
            stack.setReference(holder.address(), index * 8L, target.address());
        } else {
            stack.setReference(objSlots[index], holder.address(), target.address());
        }
        holder.model().refs[index] = target.model();
    }

    private List<Pair> roots() {
        List<Pair> roots = new ArrayList<>();
        for (int i = 0; i < stackSlots.size(); i++) {
            roots.add(new Pair(stackSlots.get(i), stack.root(i)));
        }
        for (int i = 0; i < handles.size(); i++) {
            roots.add(new Pair(handleModels.get(i), handles.get(i).get()));
        }
        for (int i = 0; i < globals.size(); i++) {
            roots.add(new Pair(globals.get(i), heap.globalRoot(i)));
        }
        pinned.forEach((m, address) -> roots.add(new Pair(m, address)));
        roots.removeIf(p -> p.model() == null);
        return roots;
    }

    private Pair randomReachable() {
        List<Pair> roots = roots();
        if (roots.isEmpty()) {
            return null;
        }
        Pair at = roots.get(random.nextInt(roots.size()));
        for (int steps = random.nextInt(5); steps > 0 && at.model().refs.length > 0; steps--) {
            int index = random.nextInt(at.model().refs.length);
            M next = at.model().refs[index];
            if (next == null) {
                break;
            }
            int way = random.nextInt(3);
            long address = way == 0 ? heap.getReference(at.address(), index * 8L)
                    : way == 1 || heap.typeOf(at.address()) != objType ? stack.getReference(at.address(), index * 8L)
                    : stack.getReference(objSlots[index], at.address());
            at = new Pair(next, address);
        }
        return at;
    }

    private Pair randomReachableOrNull() {
        Pair pair = random.nextInt(5) == 0 ? null : randomReachable();
        return pair == null ? new Pair(null, 0) : pair;
    }

    private void checkIsomorphic() {
        Map<M, Long> addressOf = new IdentityHashMap<>();
        Map<Long, M> modelAt = new HashMap<>();
        ArrayDeque<Pair> work = new ArrayDeque<>(roots());
        while (!work.isEmpty()) {
            Pair pair = work.pop();
            M m = pair.model();
            long address = pair.address();
            if (m == null) {
                assertEquals(0, address, "a null reference in the model is 0x" + Long.toHexString(address));
                continue;
            }
            Long known = addressOf.get(m);
            if (known != null) {
                assertEquals(known.longValue(), address, "object " + m.id + " reached at two addresses");
                continue;
            }
            M other = modelAt.put(address, m);
            if (other != null) {
                fail("objects " + other.id + " and " + m.id + " share address 0x" + Long.toHexString(address));
            }
            addressOf.put(m, address);
            int expectedType = m.kind == 0 ? objType : m.kind == 1 ? refsType : bytesType;
            assertEquals(expectedType, heap.typeOf(address), "type of object " + m.id);
            if (m.kind == 0) {
                assertEquals(m.id, heap.getLong(address, 24), "id field");
            } else {
                assertEquals(m.kind == 1 ? m.refs.length : m.bytes.length, heap.arrayLength(address), "length");
            }
            for (int i = 0; i < m.bytes.length; i++) {
                assertEquals(m.bytes[i], heap.getByte(address, i), "byte " + i + " of object " + m.id);
            }
            for (int i = 0; i < m.refs.length; i++) {
                work.push(new Pair(m.refs[i], heap.getReference(address, i * 8L)));
            }
        }
        pinned.forEach((m, address) -> assertEquals(address, addressOf.get(m), "pinned object " + m.id + " moved"));
    }
}
