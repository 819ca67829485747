package dev.pagealloc.heap.gc;

import java.util.function.Consumer;

/**
 * Hans Boehm's GCBench (after John Ellis and Pete Kovac) on a {@link GcHeap}, with the published program's
 * structure and output: a stretch tree of depth 18 built bottom-up and dropped; a long-lived tree of depth
 * 16 built top down (every node's children stored into it after it was allocated, so old nodes receive
 * references to young ones) and a long-lived array of 500,000 doubles, half filled with {@code 1.0 / i};
 * then, for depths 4, 6, ... 16, {@code 2 * treeSize(18) / treeSize(depth)} trees built top down and as
 * many bottom-up, each dropped at once ({@code treeSize(d) = 2^(d+1) - 1}); the long-lived data is checked
 * at the end ({@code Failed} is printed if it is not intact). A node is a heap object of 24 bytes: two
 * references ({@code left} at 0, {@code right} at 8) and two ints ({@code i} at 16, {@code j} at 20); the
 * array is a heap array of doubles (a large object).
 *
 * <p>Output lines, as the Java original prints them: {@code Garbage Collector Test}, {@code  Stretching
 * memory with a binary tree of depth 18}, the memory line, {@code  Creating a long-lived binary tree of
 * depth 16}, {@code  Creating a long-lived array of 500000 doubles}, the memory line, then per depth
 * {@code Creating 33824 trees of depth 4}, {@code \tTop down construction took N msecs}, {@code \tBottom up
 * construction took N msecs}, and at the end the memory line and {@code Completed in N ms.}. The original
 * prints the Java heap's total and free memory ({@code Runtime}); this prints the GC heap's: total is the
 * nursery plus the old-generation limit, free is total minus the nursery blocks in use and the old
 * generation's used bytes, in the original's format ({@code  Total memory available=N bytes  Free
 * memory=N bytes}).
 *
 * <p>Not thread-safe: one run at a time per instance; the heap itself may be shared.
 */
public final class GcBench {

    /** The published program's constants. */
    static final int STRETCH_TREE_DEPTH = 18;
    static final int LONG_LIVED_TREE_DEPTH = 16;
    static final int ARRAY_SIZE = 500_000;
    static final int MIN_TREE_DEPTH = 4;
    static final int MAX_TREE_DEPTH = 16;

    private static final long LEFT = 0;
    private static final long RIGHT = 8;

    private final GcHeap heap;
    private final int nodeType;
    private final int doubleArrayType;
    /** The node's {@link #LEFT} and {@link #RIGHT} slots, resolved once for {@link #populate}. */
    private final ReferenceSlot leftSlot;
    private final ReferenceSlot rightSlot;

    /**
     * Registers the node type ({@code Node}: 24 bytes, references at 0 and 8) and the array type
     * ({@code double[]}) on {@code heap}.
     *
     * @param heap the heap the program runs on; its old generation should hold about 16 MiB (the
     *     long-lived tree and the array) and the stretch tree's nursery survivors
     * @throws NullPointerException if {@code heap} is null
     * @throws IllegalStateException if the heap is closed or has no type id left
     */
    public GcBench(GcHeap heap) {
        this.heap = java.util.Objects.requireNonNull(heap, "heap");
        this.nodeType = heap.registerType(new TypeLayout.Fixed("Node", 24, LEFT, RIGHT));
        this.leftSlot = heap.referenceSlot(nodeType, LEFT);
        this.rightSlot = heap.referenceSlot(nodeType, RIGHT);
        this.doubleArrayType = heap.registerType(new TypeLayout.PrimitiveArray("double[]", 8));
    }

    /** {@return the number of nodes of a full tree of {@code depth}} */
    static int treeSize(int depth) {
        return (1 << (depth + 1)) - 1;
    }

    /** {@return how many trees of {@code depth} one step builds each way} */
    static int iterations(int depth) {
        return 2 * treeSize(STRETCH_TREE_DEPTH) / treeSize(depth);
    }

    /**
     * Runs the program in the calling thread, handing each output line to {@code out}.
     *
     * @param out receives the output lines, without line terminators
     * @throws HeapExhaustedException if the program's data does not fit in the heap
     */
    public void run(Consumer<String> out) {
        ShadowStack stack = heap.shadowStack();
        stack.pushFrame();
        try {
            out.accept("Garbage Collector Test");
            out.accept(" Stretching memory with a binary tree of depth " + STRETCH_TREE_DEPTH);
            diagnostics(out);
            long start = System.nanoTime();
            bottomUp(stack, STRETCH_TREE_DEPTH);

            out.accept(" Creating a long-lived binary tree of depth " + LONG_LIVED_TREE_DEPTH);
            int longLived = stack.addRoot(stack.allocate(nodeType));
            populate(stack, LONG_LIVED_TREE_DEPTH, longLived);

            out.accept(" Creating a long-lived array of " + ARRAY_SIZE + " doubles");
            int array = stack.addRoot(heap.allocateArray(doubleArrayType, ARRAY_SIZE));
            for (int i = 0; i < ARRAY_SIZE / 2; i++) {
                heap.setDouble(stack.root(array), 8L * i, 1.0 / i);
            }
            diagnostics(out);

            for (int depth = MIN_TREE_DEPTH; depth <= MAX_TREE_DEPTH; depth += 2) {
                timeConstruction(stack, depth, out);
            }
            if (stack.root(longLived) == 0 || heap.getDouble(stack.root(array), 8L * 1000) != 1.0 / 1000) {
                out.accept("Failed");
            }
            long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
            diagnostics(out);
            out.accept("Completed in " + elapsedMillis + "ms.");
        } finally {
            stack.popFrame();
        }
    }

    private void timeConstruction(ShadowStack stack, int depth, Consumer<String> out) {
        int iterations = iterations(depth);
        out.accept("Creating " + iterations + " trees of depth " + depth);
        long start = System.nanoTime();
        stack.pushFrame();
        try {
            int temp = stack.addRoot(0);
            for (int i = 0; i < iterations; i++) {
                long node = stack.allocate(nodeType);
                stack.setRoot(temp, node);
                populate(stack, depth, temp);
                stack.setRoot(temp, 0);
            }
        } finally {
            stack.popFrame();
        }
        out.accept("\tTop down construction took " + (System.nanoTime() - start) / 1_000_000 + "msecs");
        start = System.nanoTime();
        for (int i = 0; i < iterations; i++) {
            bottomUp(stack, depth);
        }
        out.accept("\tBottom up construction took " + (System.nanoTime() - start) / 1_000_000 + "msecs");
    }

    /**
     * Builds a tree top down below the node in root slot {@code nodeSlot}: its two children are allocated
     * and stored into it first, then filled in turn. Each allocation may move the node, so it is read
     * from its root every time.
     */
    void populate(ShadowStack stack, int depth, int nodeSlot) {
        if (depth <= 0) {
            return;
        }
        // Allocate first, then read the node from its root: arguments are evaluated left to right, so a
        // root read in the same call as the allocation would be the address from before it moved.
        long left = stack.allocate(nodeType);
        stack.setReference(leftSlot, stack.root(nodeSlot), left);
        long right = stack.allocate(nodeType);
        stack.setReference(rightSlot, stack.root(nodeSlot), right);
        stack.pushFrame();
        try {
            int child = stack.addRoot(stack.getReference(leftSlot, stack.root(nodeSlot)));
            populate(stack, depth - 1, child);
            stack.setRoot(child, stack.getReference(rightSlot, stack.root(nodeSlot)));
            populate(stack, depth - 1, child);
        } finally {
            stack.popFrame();
        }
    }

    /** {@return a new tree of {@code depth} built bottom-up}; its address is valid until the next allocation */
    long bottomUp(ShadowStack stack, int depth) {
        if (depth <= 0) {
            return stack.allocate(nodeType);
        }
        // The left subtree is held by a root while the right one is built; the node's allocation keeps both.
        stack.push(bottomUp(stack, depth - 1));
        long right = bottomUp(stack, depth - 1);
        return stack.allocatePopped(nodeType, right); // LEFT (the pushed subtree) and RIGHT: its first two slots
    }

    /** {@return the number of nodes of the tree at {@code node}}; allocates nothing, so nothing moves */
    long count(long node) {
        if (node == 0) {
            return 0;
        }
        return 1 + count(heap.getReference(node, LEFT)) + count(heap.getReference(node, RIGHT));
    }

    private void diagnostics(Consumer<String> out) {
        GcStatistics stats = heap.statistics();
        long total = stats.nurseryBytes() + heap.oldGenerationLimitBytes;
        long free = total - stats.nurseryUsedBytes() - stats.oldGenerationUsedBytes();
        out.accept(" Total memory available=" + total + " bytes  Free memory=" + free + " bytes");
    }
}
