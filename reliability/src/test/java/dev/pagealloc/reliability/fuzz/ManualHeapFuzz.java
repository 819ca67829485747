package dev.pagealloc.reliability.fuzz;

import dev.pagealloc.api.AllocatorStatistics;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.ViewSharing;
import dev.pagealloc.heap.manual.HeapArena;
import dev.pagealloc.heap.manual.HeapStatistics;
import dev.pagealloc.heap.manual.ManualHeap;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Action chains on a {@link ManualHeap} against a model of its live blocks and their contents: allocate
 * (sizes from 0 to past a slab, alignments up to 64 KiB, zeroed or not), arrays, reallocate (smaller, larger,
 * across the small/large boundary), free with and without the size, arenas (nested, reset, closed), with
 * misuse mixed in: double free, interior and foreign segments, wrong sizes, bad sizes and alignments, an
 * overflowing array, use of a freed block (checked mode) and of an arena's segment after reset. Every misuse
 * must be the documented exception, and leave every live block's bytes and the heap's live figures as the
 * model has them; at the end everything is freed and the allocator holds nothing.
 */
public final class ManualHeapFuzz {
    private ManualHeapFuzz() {}

    /** A live block: its segment and the bytes it must hold. */
    record Block(MemorySegment segment, byte[] bytes) {}

    /** The heap and its model; made by the chain's first action. */
    public static final class State {
        final PageAllocator allocator = PageAllocator.builder().withViewSharing(ViewSharing.SHARED).build();
        ManualHeap heap;
        final List<Block> live = new ArrayList<>();
        final List<MemorySegment> freed = new ArrayList<>();
        final List<HeapArena> arenas = new ArrayList<>();
        /** Per arena (same index), the segments it handed out since its last reset and their bytes. */
        final List<List<Block>> arenaBlocks = new ArrayList<>();
        /** Per arena (same index), its parent, or null. */
        final List<HeapArena> parents = new ArrayList<>();
        final List<MemorySegment> stale = new ArrayList<>();

        /** Checks the model, frees everything, closes the heap, and checks the allocator holds nothing. */
        public void close() {
            if (heap == null) {
                return;
            }
            checkAll(this);
            for (int i = 0; i < arenas.size(); i++) {
                if (parents.get(i) == null) {
                    arenas.get(i).close();
                }
            }
            for (Block b : live) {
                heap.free(b.segment());
            }
            HeapStatistics stats = heap.statistics();
            AllocatorFuzz.check(stats.liveBlocks() == 0 && stats.liveBytes() == 0, "after freeing all: " + stats);
            heap.close();
            AllocatorStatistics after = allocator.statistics();
            AllocatorFuzz.check(after.liveRegions() == 0 && after.committedBytes() == 0,
                    "the allocator after the heap closed: " + after);
        }
    }

    /**
     * {@return a chain of up to {@code steps} actions}, drawn from {@code random}: the same seed gives the
     * same chain. The first action builds the heap, checked or not, poisoning or not, with thread caches or not.
     *
     * @param random the source, seeded
     * @param steps the most actions after the first
     */
    public static List<Step<State>> chain(SplittableRandom random, int steps) {
        List<Step<State>> chain = new ArrayList<>();
        boolean checked = random.nextBoolean();
        boolean poisoning = random.nextBoolean();
        boolean caches = random.nextBoolean();
        chain.add(new Step<>("build(checked=" + checked + ", poisoning=" + poisoning + ", caches=" + caches + ")",
                s -> s.heap = ManualHeap.builder(s.allocator).withCheckedBlocks(checked).withPoisoning(poisoning)
                        .withThreadCaches(caches).build()));
        int count = random.nextInt(steps + 1);
        for (int n = 0; n < count; n++) {
            chain.add(step(random));
        }
        return chain;
    }

    private static final int[] WEIGHTS = {6, 1, 3, 4, 2, 2, 2, 1, 2, 3, 1, 1};

    private static Step<State> step(SplittableRandom random) {
        int pick = random.nextInt(Integer.MAX_VALUE);
        long size = size(random);
        long seed = random.nextLong();
        return switch (AllocatorFuzz.pick(random, WEIGHTS)) {
            case 0 -> {
                long alignment = random.nextInt(8) == 0 ? new long[] {0, 3, 24, 1L << 21}[random.nextInt(4)]
                        : 1L << random.nextInt(17);
                boolean zero = random.nextBoolean();
                yield new Step<>("allocate(" + size + ", " + alignment + ", " + zero + ")",
                        s -> allocate(s, size, alignment, zero, seed));
            }
            case 1 -> {
                long element = random.nextLong(-1, 65);
                long number = random.nextInt(6) == 0 ? Long.MAX_VALUE / 3 : random.nextLong(-1, 300);
                yield new Step<>("allocateArray(" + element + ", " + number + ")", s -> array(s, element, number));
            }
            case 2 -> new Step<>("free(live " + pick + ")", s -> free(s, pick, false));
            case 3 -> new Step<>("free(live " + pick + ", its size)", s -> free(s, pick, true));
            case 4 -> new Step<>("reallocate(live " + pick + ", " + size + ")", s -> reallocate(s, pick, size, seed));
            case 5 -> new Step<>("free(freed " + pick + ") (double free)", s -> doubleFree(s, pick));
            case 6 -> new Step<>("misuse " + pick % 4 + " on live " + pick, s -> misuse(s, pick));
            case 7 -> new Step<>("useAfterFree(freed " + pick + ")", s -> useAfterFree(s, pick));
            case 8 -> new Step<>("newArena(arena " + pick + ")", s -> newArena(s, pick));
            case 9 -> new Step<>("arena " + pick + ".allocate(" + Math.min(size, 1 << 17) + ")",
                    s -> arenaAllocate(s, pick, Math.min(size, 1 << 17), seed));
            case 10 -> new Step<>("arena " + pick + ".reset()", s -> arenaEnd(s, pick, false));
            default -> new Step<>("arena " + pick + ".close()", s -> arenaEnd(s, pick, true));
        };
    }

    /** Sizes around the size classes' ends, a slab, the largest block, and bad ones. */
    private static long size(SplittableRandom random) {
        return switch (random.nextInt(10)) {
            case 0 -> random.nextLong(0, 17);
            case 1 -> random.nextLong(100, 5000);
            case 2 -> random.nextLong(60_000, 300_000);
            case 3 -> new long[] {-1, Long.MAX_VALUE, 1L << 40}[random.nextInt(3)];
            default -> random.nextLong(1, 1025);
        };
    }

    static void allocate(State s, long size, long alignment, boolean zero, long seed) {
        boolean valid = size >= 0 && size <= s.heap.maximumBlockBytes() && Long.bitCount(alignment) == 1
                && alignment <= ManualHeap.MAXIMUM_ALIGNMENT;
        MemorySegment block;
        try {
            block = s.heap.allocate(size, alignment, zero);
        } catch (IllegalArgumentException e) {
            refused(s, !valid, "allocate(" + size + ", " + alignment + ")", e);
            return;
        }
        AllocatorFuzz.check(valid, "allocate(" + size + ", " + alignment + ") accepted");
        AllocatorFuzz.check(block.byteSize() == size, "size " + block.byteSize());
        AllocatorFuzz.check(block.address() % alignment == 0, "address " + block.address() + " not aligned");
        if (zero) {
            AllocatorFuzz.check(block.asByteBuffer().equals(MemorySegment.ofArray(new byte[(int) size])
                    .asByteBuffer()), "a zeroed block does not read zero");
        }
        add(s, block, seed);
    }

    static void array(State s, long element, long number) {
        boolean valid = element > 0 && number >= 0 && Math.multiplyHigh(element, number) == 0
                && element * number >= 0 && element * number <= s.heap.maximumBlockBytes();
        MemorySegment block;
        try {
            block = s.heap.allocateArray(element, number);
        } catch (IllegalArgumentException e) {
            refused(s, !valid || element == 0, "allocateArray(" + element + ", " + number + ")", e);
            return;
        }
        AllocatorFuzz.check(valid || element == 0 && number >= 0, "allocateArray(" + element + ", " + number
                + ") accepted");
        AllocatorFuzz.check(block.byteSize() == element * number, "array size " + block.byteSize());
        add(s, block, element * 31 + number);
    }

    private static void add(State s, MemorySegment block, long seed) {
        byte[] bytes = new byte[(int) block.byteSize()];
        new SplittableRandom(seed).nextBytes(bytes);
        MemorySegment.copy(bytes, 0, block, ValueLayout.JAVA_BYTE, 0, bytes.length);
        s.live.add(new Block(block, bytes));
        checkAll(s);
    }

    static void free(State s, int pick, boolean withSize) {
        if (s.live.isEmpty()) {
            return;
        }
        Block b = s.live.remove(Math.floorMod(pick, s.live.size()));
        if (withSize) {
            s.heap.free(b.segment(), b.segment().byteSize());
        } else {
            s.heap.free(b.segment());
        }
        s.freed.add(b.segment());
        checkAll(s);
    }

    static void reallocate(State s, int pick, long size, long seed) {
        if (s.live.isEmpty()) {
            return;
        }
        int index = Math.floorMod(pick, s.live.size());
        Block b = s.live.get(index);
        boolean valid = size >= 0 && size <= s.heap.maximumBlockBytes();
        MemorySegment moved;
        try {
            moved = s.heap.reallocate(b.segment(), size);
        } catch (IllegalArgumentException e) {
            refused(s, !valid, "reallocate(" + size + ")", e);
            return;
        }
        AllocatorFuzz.check(valid, "reallocate(" + size + ") accepted");
        AllocatorFuzz.check(moved.byteSize() == size, "reallocated size " + moved.byteSize());
        byte[] bytes = Arrays.copyOf(b.bytes(), (int) size);
        int kept = Math.min(b.bytes().length, (int) size);
        byte[] have = moved.asSlice(0, kept).toArray(ValueLayout.JAVA_BYTE);
        AllocatorFuzz.check(Arrays.equals(have, Arrays.copyOf(b.bytes(), kept)), "reallocate lost the prefix at "
                + Arrays.mismatch(have, Arrays.copyOf(b.bytes(), kept)));
        byte[] tail = new byte[(int) size - kept];
        new SplittableRandom(seed).nextBytes(tail);
        System.arraycopy(tail, 0, bytes, kept, tail.length);
        MemorySegment.copy(tail, 0, moved, ValueLayout.JAVA_BYTE, kept, tail.length);
        s.live.set(index, new Block(moved, bytes));
        if (moved.address() != b.segment().address()) {
            s.freed.add(b.segment());
        }
        checkAll(s);
    }

    static void doubleFree(State s, int pick) {
        if (s.freed.isEmpty()) {
            return;
        }
        MemorySegment old = s.freed.get(Math.floorMod(pick, s.freed.size()));
        if (s.live.stream().anyMatch(b -> b.segment().address() == old.address())) {
            return; // the address is a live block again: not a double free
        }
        try {
            s.heap.free(old);
        } catch (IllegalArgumentException e) {
            refused(s, true, "double free", e);
            return;
        }
        throw new AssertionError("a double free at " + old.address() + " was accepted");
    }

    /** An interior segment, a foreign one, a wrong size, a reallocation of a foreign segment. */
    static void misuse(State s, int pick) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment foreign = arena.allocate(64, 16);
            Block b = s.live.isEmpty() ? null : s.live.get(Math.floorMod(pick, s.live.size()));
            Runnable call = switch (pick % 4) {
                case 0 -> b == null || b.segment().byteSize() < 2 ? null : () -> s.heap.free(b.segment().asSlice(1));
                case 1 -> () -> s.heap.free(foreign);
                case 2 -> b == null ? null : () -> s.heap.free(b.segment(), b.segment().byteSize() + 1);
                default -> () -> s.heap.reallocate(foreign, 32);
            };
            if (call == null) {
                return;
            }
            try {
                call.run();
            } catch (IllegalArgumentException e) {
                refused(s, true, "misuse " + pick % 4, e);
                return;
            }
            throw new AssertionError("misuse " + pick % 4 + " was accepted");
        }
    }

    static void useAfterFree(State s, int pick) {
        if (!s.heap.checkedBlocks() || s.freed.isEmpty()) {
            return;
        }
        MemorySegment old = s.freed.get(Math.floorMod(pick, s.freed.size()));
        if (old.byteSize() == 0) {
            return;
        }
        try {
            old.get(ValueLayout.JAVA_BYTE, 0);
        } catch (IllegalStateException e) {
            Step.refused();
            return;
        }
        throw new AssertionError("a freed block's segment was readable in checked mode");
    }

    static void newArena(State s, int pick) {
        if (s.arenas.isEmpty() || pick % 2 == 0) {
            s.arenas.add(s.heap.newArena());
            s.parents.add(null);
        } else {
            HeapArena parent = s.arenas.get(Math.floorMod(pick, s.arenas.size()));
            s.arenas.add(parent.newChild());
            s.parents.add(parent);
        }
        s.arenaBlocks.add(new ArrayList<>());
    }

    static void arenaAllocate(State s, int pick, long size, long seed) {
        if (s.arenas.isEmpty()) {
            return;
        }
        int index = Math.floorMod(pick, s.arenas.size());
        long alignment = 1L << (pick % 13);
        MemorySegment block;
        try {
            block = s.arenas.get(index).allocate(size, alignment);
        } catch (IllegalArgumentException e) {
            refused(s, size < 0, "arena allocate(" + size + ")", e);
            return;
        }
        AllocatorFuzz.check(block.byteSize() == size && block.address() % alignment == 0, "arena block " + block);
        for (long i = 0; i < size; i++) {
            if (block.get(ValueLayout.JAVA_BYTE, i) != 0) {
                throw new AssertionError("an arena block does not read zero at " + i);
            }
        }
        byte[] bytes = new byte[(int) size];
        new SplittableRandom(seed).nextBytes(bytes);
        MemorySegment.copy(bytes, 0, block, ValueLayout.JAVA_BYTE, 0, bytes.length);
        s.arenaBlocks.get(index).add(new Block(block, bytes));
        checkAll(s);
    }

    /** Reset or close an arena; either closes its nested arenas, so the model drops them. */
    static void arenaEnd(State s, int pick, boolean close) {
        if (s.arenas.isEmpty()) {
            return;
        }
        int index = Math.floorMod(pick, s.arenas.size());
        HeapArena arena = s.arenas.get(index);
        s.stale.addAll(s.arenaBlocks.get(index).stream().map(Block::segment).toList());
        s.arenaBlocks.get(index).clear();
        dropChildren(s, arena);
        if (close) {
            arena.close();
            int at = s.arenas.indexOf(arena);
            s.arenas.remove(at);
            s.arenaBlocks.remove(at);
            s.parents.remove(at);
        } else {
            arena.reset();
        }
        // A nested arena of a closed or reset parent may be closed too; drop those the heap reports closed.
        for (MemorySegment stale : s.stale) {
            if (stale.byteSize() == 0) {
                continue;
            }
            try {
                stale.get(ValueLayout.JAVA_BYTE, 0);
                throw new AssertionError("a segment of a reset or closed arena was readable");
            } catch (IllegalStateException expected) {
                Step.refused();
            }
        }
        s.stale.clear();
        checkAll(s);
    }

    private static void dropChildren(State s, HeapArena parent) {
        for (int i = s.arenas.size() - 1; i >= 0; i--) {
            if (i < s.arenas.size() && s.parents.get(i) == parent) {
                HeapArena child = s.arenas.get(i);
                s.stale.addAll(s.arenaBlocks.get(i).stream().map(Block::segment).toList());
                s.arenas.remove(i);
                s.arenaBlocks.remove(i);
                s.parents.remove(i);
                dropChildren(s, child);
            }
        }
    }

    private static void refused(State s, boolean expected, String call, RuntimeException e) {
        AllocatorFuzz.check(expected, call + " refused: " + e);
        AllocatorFuzz.check(e.getMessage() != null && !e.getMessage().isBlank(), call + ": no message");
        Step.refused();
        checkAll(s);
    }

    /** Every live block holds its bytes; the heap's live figures are the model's. */
    static void checkAll(State s) {
        long bytes = 0;
        for (Block b : s.live) {
            byte[] have = b.segment().toArray(ValueLayout.JAVA_BYTE);
            AllocatorFuzz.check(Arrays.equals(have, b.bytes()), "a live block of " + b.bytes().length
                    + " bytes differs at " + Arrays.mismatch(have, b.bytes()));
            bytes += b.bytes().length;
        }
        for (List<Block> blocks : s.arenaBlocks) {
            for (Block b : blocks) {
                AllocatorFuzz.check(Arrays.equals(b.segment().toArray(ValueLayout.JAVA_BYTE), b.bytes()),
                        "an arena block differs");
            }
        }
        HeapStatistics stats = s.heap.statistics();
        AllocatorFuzz.check(stats.liveBlocks() == s.live.size(), "liveBlocks " + stats.liveBlocks() + ", model "
                + s.live.size());
        AllocatorFuzz.check(stats.liveBytes() == bytes, "liveBytes " + stats.liveBytes() + ", model " + bytes);
    }
}
