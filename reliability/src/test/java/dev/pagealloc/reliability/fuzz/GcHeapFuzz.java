package dev.pagealloc.reliability.fuzz;

import dev.pagealloc.heap.gc.GcHeap;
import dev.pagealloc.heap.gc.GcHeapBuilder;
import dev.pagealloc.heap.gc.Handle;
import dev.pagealloc.heap.gc.ShadowStack;
import dev.pagealloc.heap.gc.TypeLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Action chains on a {@link GcHeap} against a plain Java object graph: allocation of two types (a pair of
 * references with a long, a leaf of two longs), reference and data writes, roots of every kind (shadow-stack
 * slots in frames, handles, global roots, pins) added and dropped, frames pushed and popped, minor and full
 * collections (a collection every few allocations, compaction or not); with misuse mixed in: a plain access to
 * a reference slot and the reverse, offsets past the payload or misaligned, a non-object address, an unknown
 * type, an unbalanced frame pop. Every misuse must be {@link IllegalArgumentException},
 * {@link IndexOutOfBoundsException} or (the pop) {@link IllegalStateException}. After every collection and at
 * the end the graph reachable from the heap's roots is isomorphic to the model's: the same shape, types and
 * data, distinct objects at distinct addresses, and pinned objects where they were.
 */
public final class GcHeapFuzz {
    static final long PAIR_DATA = 16;

    private GcHeapFuzz() {}

    /** An object of the model. */
    static final class Node {
        final boolean pair;
        final Node[] refs = new Node[2];
        long data;
        final long leafData;

        Node(boolean pair, long data) {
            this.pair = pair;
            this.data = data;
            this.leafData = ~data;
        }
    }

    /** A root of the model: its kind, where it is, and the node it holds (null for a null root). */
    static final class Root {
        final int kind; // 0 stack slot, 1 handle, 2 global, 3 pin
        final int slot;
        final Handle handle;
        final long pinnedAt;
        Node node;

        Root(int kind, int slot, Handle handle, long pinnedAt, Node node) {
            this.kind = kind;
            this.slot = slot;
            this.handle = handle;
            this.pinnedAt = pinnedAt;
            this.node = node;
        }
    }

    /** The heap, this thread's shadow stack and the model; made by the chain's first action. */
    public static final class State {
        GcHeap heap;
        ShadowStack stack;
        int pairType;
        int leafType;
        /** Each open frame's stack-slot roots; other roots in {@link #roots}. */
        final List<List<Root>> frames = new ArrayList<>();
        final List<Root> roots = new ArrayList<>();
        long collections;

        List<Root> all() {
            List<Root> all = new ArrayList<>(roots);
            frames.forEach(all::addAll);
            return all;
        }

        long address(Root r) {
            return switch (r.kind) {
                case 0 -> stack.root(r.slot);
                case 1 -> r.handle.get();
                case 2 -> heap.globalRoot(r.slot);
                default -> r.pinnedAt;
            };
        }

        /** Checks the graph, then releases the stack and closes the heap. */
        public void close() {
            if (heap == null) {
                return;
            }
            heap.collect(true);
            checkGraph(this);
            heap.verify();
            stack.release();
            heap.close();
            AllocatorFuzz.check(!heap.isAlive(), "a closed heap says it is alive");
        }
    }

    /**
     * {@return a chain of up to {@code steps} actions}, drawn from {@code random}: the same seed gives the
     * same chain. The first action builds the heap (a small nursery, a collection every few allocations or
     * not, compaction or not) and opens a frame.
     *
     * @param random the source, seeded
     * @param steps the most actions after the first
     */
    public static List<Step<State>> chain(SplittableRandom random, int steps) {
        List<Step<State>> chain = new ArrayList<>();
        int every = random.nextBoolean() ? 0 : random.nextInt(1, 8);
        boolean compaction = random.nextBoolean();
        int tenure = random.nextInt(1, 4);
        chain.add(new Step<>("build(collectEvery=" + every + ", compaction=" + compaction + ", tenure=" + tenure
                + ")", s -> {
                    GcHeapBuilder builder = GcHeap.builder().withNurseryBytes(8 * GcHeapBuilder.MINIMUM_BLOCK_BYTES)
                            .withCompaction(compaction).withTenureAge(tenure).withVerifyAfterCollection(true);
                    if (every > 0) {
                        builder.withCollectEveryAllocations(every);
                    }
                    s.heap = builder.build();
                    s.pairType = s.heap.registerType(new TypeLayout.Fixed("pair", 24, 0, 8));
                    s.leafType = s.heap.registerType(new TypeLayout.Fixed("leaf", 16));
                    s.stack = s.heap.shadowStack();
                    s.stack.pushFrame();
                    s.frames.add(new ArrayList<>());
                }));
        int count = random.nextInt(steps * 2 + 1);
        for (int n = 0; n < count; n++) {
            chain.add(step(random));
        }
        return chain;
    }

    private static final int[] WEIGHTS = {8, 6, 2, 2, 2, 2, 2, 2, 3};

    private static Step<State> step(SplittableRandom random) {
        int a = random.nextInt(Integer.MAX_VALUE);
        int b = random.nextInt(Integer.MAX_VALUE);
        long value = random.nextLong();
        return switch (AllocatorFuzz.pick(random, WEIGHTS)) {
            case 0 -> {
                boolean pair = random.nextInt(3) > 0;
                int kind = random.nextInt(4);
                yield new Step<>("allocate(" + (pair ? "pair" : "leaf") + ", root kind " + kind + ")",
                        s -> allocate(s, pair, kind, value));
            }
            case 1 -> new Step<>("link(root " + a + ", slot " + b % 2 + ", root " + b + ")", s -> link(s, a, b));
            case 2 -> new Step<>("setData(root " + a + ", " + value + ")", s -> setData(s, a, value));
            case 3 -> new Step<>("drop(root " + a + ")", s -> drop(s, a));
            case 4 -> new Step<>("pushFrame", GcHeapFuzz::pushFrame);
            case 5 -> new Step<>("popFrame", GcHeapFuzz::popFrame);
            case 6 -> new Step<>("collect(" + (a % 2 == 0) + ")", s -> collect(s, a % 2 == 0));
            case 7 -> new Step<>("follow(root " + a + ", path " + b + ") and root it", s -> follow(s, a, b));
            default -> new Step<>("misuse " + a % 9 + " on root " + b, s -> misuse(s, a % 9, b));
        };
    }

    private static Root pick(State s, int index) {
        List<Root> all = s.all();
        all.removeIf(r -> r.node == null);
        return all.isEmpty() ? null : all.get(Math.floorMod(index, all.size()));
    }

    static void allocate(State s, boolean pair, int kind, long data) {
        long object = s.heap.allocate(pair ? s.pairType : s.leafType);
        Node node = new Node(pair, data);
        if (pair) {
            s.heap.setLong(object, PAIR_DATA, data);
        } else {
            s.heap.setLong(object, 0, data);
            s.heap.setLong(object, 8, node.leafData);
        }
        addRoot(s, kind, object, node);
    }

    private static void addRoot(State s, int wanted, long object, Node node) {
        // A pinned nursery object keeps its whole nursery block in place: at most four pins, so that half
        // the eight blocks stay free and no allocation can be refused for them.
        int kind = wanted == 3 && s.roots.stream().filter(r -> r.kind == 3).count() >= 4 ? 2 : wanted;
        switch (kind) {
            case 0 -> s.frames.getLast().add(new Root(0, s.stack.addRoot(object), null, 0, node));
            case 1 -> s.roots.add(new Root(1, 0, s.heap.newHandle(object), 0, node));
            case 2 -> s.roots.add(new Root(2, s.heap.addGlobalRoot(object), null, 0, node));
            default -> {
                s.heap.pin(object);
                AllocatorFuzz.check(s.heap.isPinned(object), "pinned object not pinned");
                s.roots.add(new Root(3, 0, null, object, node));
            }
        }
    }

    static void link(State s, int from, int to) {
        Root parent = pick(s, from);
        if (parent == null || !parent.node.pair) {
            return;
        }
        Root child = to % 5 == 0 ? null : pick(s, to);
        long offset = 8L * (to % 2);
        s.heap.setReference(s.address(parent), offset, child == null ? 0 : s.address(child));
        parent.node.refs[to % 2] = child == null ? null : child.node;
    }

    static void setData(State s, int index, long value) {
        Root r = pick(s, index);
        if (r == null || !r.node.pair) {
            return;
        }
        s.heap.setLong(s.address(r), PAIR_DATA, value);
        r.node.data = value;
    }

    static void drop(State s, int index) {
        Root r = pick(s, index);
        if (r == null) {
            return;
        }
        switch (r.kind) {
            case 0 -> s.stack.setRoot(r.slot, 0);
            case 1 -> {
                r.handle.close();
                s.roots.remove(r);
            }
            case 2 -> s.heap.setGlobalRoot(r.slot, 0);
            default -> {
                // A pin counts: an object pinned twice stays pinned until unpinned twice.
                s.heap.unpin(r.pinnedAt);
                s.roots.remove(r);
            }
        }
        r.node = null;
    }

    static void pushFrame(State s) {
        s.stack.pushFrame();
        s.frames.add(new ArrayList<>());
    }

    static void popFrame(State s) {
        try {
            s.stack.popFrame();
        } catch (IllegalStateException e) {
            AllocatorFuzz.check(s.frames.isEmpty(), "popFrame refused with " + s.frames.size() + " frames: " + e);
            Step.refused();
            s.stack.pushFrame();
            s.frames.add(new ArrayList<>());
            return;
        }
        AllocatorFuzz.check(!s.frames.isEmpty(), "popFrame with no frame open accepted");
        s.frames.removeLast();
        if (s.frames.isEmpty()) {
            s.stack.pushFrame();
            s.frames.add(new ArrayList<>());
        }
    }

    static void collect(State s, boolean full) {
        s.heap.collect(full);
        s.collections++;
        checkGraph(s);
    }

    /** Walks up to three references from a root and roots what it reaches in a stack slot. */
    static void follow(State s, int index, int path) {
        Root r = pick(s, index);
        if (r == null) {
            return;
        }
        Node node = r.node;
        long object = s.address(r);
        for (int i = 0; i < path % 4 && node.pair; i++) {
            int slot = (path >>> (i + 2)) & 1;
            long next = s.heap.getReference(object, 8L * slot);
            AllocatorFuzz.check((next == 0) == (node.refs[slot] == null), "reference at slot " + slot + ": " + next);
            if (next == 0) {
                break;
            }
            object = next;
            node = node.refs[slot];
        }
        addRoot(s, 0, object, node);
    }

    static void misuse(State s, int which, int index) {
        Root r = pick(s, index);
        long object = r == null ? 0 : s.address(r);
        boolean pair = r != null && r.node.pair;
        Runnable call = switch (which) {
            case 0 -> pair ? () -> s.heap.getLong(object, 0) : null; // a plain read of a reference slot
            case 1 -> pair ? () -> s.heap.setReference(object, PAIR_DATA, 0) : null; // a reference to a plain slot
            case 2 -> r == null ? null : () -> s.heap.getLong(object, 24); // past the payload
            case 3 -> r == null ? null : () -> s.heap.getInt(object, 2); // misaligned
            case 4 -> r == null ? null : () -> s.heap.getLong(object + 8, 0); // not an object's start
            case 5 -> () -> s.heap.allocate(9999); // an unknown type
            case 6 -> pair ? () -> s.heap.setReference(object, 0, 4096) : null; // a non-object as a reference
            case 7 -> r == null ? null : () -> s.heap.setLong(object, -8, 1); // a negative offset
            default -> () -> s.heap.pin(12345); // pinning a non-object
        };
        if (call == null) {
            return;
        }
        try {
            call.run();
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            AllocatorFuzz.check(e.getMessage() != null && !e.getMessage().isBlank(),
                    "misuse " + which + ": no message");
            Step.refused();
            checkGraph(s);
            return;
        }
        throw new AssertionError("misuse " + which + " was accepted");
    }

    /** The graph reachable from the heap's roots is isomorphic to the model's, rooted alike. */
    static void checkGraph(State s) {
        Map<Node, Long> addressOf = new IdentityHashMap<>();
        Map<Long, Node> nodeAt = new HashMap<>();
        for (Root r : s.all()) {
            long object = s.address(r);
            if (r.node == null) {
                AllocatorFuzz.check(object == 0 || r.kind == 3, "a dropped root holds " + object);
                continue;
            }
            if (r.kind == 3) {
                AllocatorFuzz.check(s.heap.isPinned(object), "a pinned object is not pinned at " + object);
            }
            match(s, r.node, object, addressOf, nodeAt);
        }
    }

    private static void match(State s, Node node, long object, Map<Node, Long> addressOf, Map<Long, Node> nodeAt) {
        AllocatorFuzz.check(object != 0, "a live object reads as null");
        Long known = addressOf.get(node);
        if (known != null) {
            AllocatorFuzz.check(known == object, "one object at two addresses: " + known + " and " + object);
            return;
        }
        Node other = nodeAt.get(object);
        AllocatorFuzz.check(other == null, "two objects at one address " + object);
        addressOf.put(node, object);
        nodeAt.put(object, node);
        AllocatorFuzz.check(s.heap.typeOf(object) == (node.pair ? s.pairType : s.leafType), "type "
                + s.heap.typeOf(object));
        if (!node.pair) {
            AllocatorFuzz.check(s.heap.getLong(object, 0) == node.data && s.heap.getLong(object, 8) == node.leafData,
                    "a leaf's data differ");
            return;
        }
        AllocatorFuzz.check(s.heap.getLong(object, PAIR_DATA) == node.data, "a pair's data "
                + s.heap.getLong(object, PAIR_DATA) + ", model " + node.data);
        for (int slot = 0; slot < 2; slot++) {
            long child = s.heap.getReference(object, 8L * slot);
            if (node.refs[slot] == null) {
                AllocatorFuzz.check(child == 0, "a null reference reads " + child);
            } else {
                match(s, node.refs[slot], child, addressOf, nodeAt);
            }
        }
    }
}
