package dev.pagealloc.heap.gc;

import java.util.function.Consumer;

/**
 * The Benchmarks Game's binary-trees program on a {@link GcHeap}: every tree node is a heap object of
 * two references, built bottom-up through the thread's {@link ShadowStack} (the left subtree pushed as a root
 * while the right one is built, both kept by {@link ShadowStack#allocatePopped(int, long)} while the node is
 * allocated), so collections run in the middle of building. The output lines are the program's standard output,
 * e.g. for {@code n = 10}: {@code stretch tree of depth 11\t check: 4095}, then
 * {@code 1024\t trees of depth 4\t check: 31744} and the other depths, then
 * {@code long lived tree of depth 10\t check: 2047}.
 *
 * <p>Not thread-safe: one run at a time per instance; the heap itself may be shared.
 */
public final class BinaryTrees {

    private static final int MIN_DEPTH = 4;

    private final GcHeap heap;
    private final int nodeType;
    /** The node's two reference slots, resolved once for {@link #check}. */
    private final ReferenceSlot left;
    private final ReferenceSlot right;

    /**
     * Registers the node type ({@code Node}: 16 bytes, references at 0 and 8) on {@code heap}.
     *
     * @param heap the heap the trees are built on
     * @throws NullPointerException if {@code heap} is null
     * @throws IllegalStateException if the heap is closed or has no type id left
     */
    public BinaryTrees(GcHeap heap) {
        this.heap = java.util.Objects.requireNonNull(heap, "heap");
        this.nodeType = heap.registerType(new TypeLayout.Fixed("Node", 16, 0, 8));
        this.left = heap.referenceSlot(nodeType, 0);
        this.right = heap.referenceSlot(nodeType, 8);
    }

    /**
     * Runs the program for {@code n} in the calling thread, handing each output line to {@code out}.
     *
     * @param n the maximum depth argument; {@code 0 <= n <= 30}
     * @param out receives the output lines, without line terminators
     * @throws IllegalArgumentException if {@code n} is out of range
     * @throws HeapExhaustedException if the trees do not fit in the heap
     */
    public void run(int n, Consumer<String> out) {
        if (n < 0 || n > 30) {
            throw new IllegalArgumentException("run(n=" + n + "): n must be in [0, 30]");
        }
        int maxDepth = Math.max(MIN_DEPTH + 2, n);
        ShadowStack stack = heap.shadowStack();
        stack.pushFrame();
        try {
            int stretchDepth = maxDepth + 1;
            long stretch = check(stack, bottomUp(stack, stretchDepth));
            out.accept("stretch tree of depth " + stretchDepth + "\t check: " + stretch);
            int longLived = stack.addRoot(bottomUp(stack, maxDepth));
            for (int depth = MIN_DEPTH; depth <= maxDepth; depth += 2) {
                int iterations = 1 << (maxDepth - depth + MIN_DEPTH);
                long checks = 0;
                for (int i = 0; i < iterations; i++) {
                    checks += check(stack, bottomUp(stack, depth));
                }
                out.accept(iterations + "\t trees of depth " + depth + "\t check: " + checks);
            }
            out.accept("long lived tree of depth " + maxDepth + "\t check: " + check(stack, stack.root(longLived)));
        } finally {
            stack.popFrame();
        }
    }

    /** {@return a new tree of {@code depth}}; its address is valid until the next allocation */
    long bottomUp(ShadowStack stack, int depth) {
        if (depth == 0) {
            return stack.allocate(nodeType);
        }
        // The left subtree needs a root while the right one is built; allocatePopped takes it from that root as
        // the node's first reference and keeps both alive across the node's own allocation.
        stack.push(bottomUp(stack, depth - 1));
        long right = bottomUp(stack, depth - 1);
        return stack.allocatePopped(nodeType, right);
    }

    /** {@return the number of nodes of the tree at {@code node}}; allocates nothing, so nothing moves */
    long check(ShadowStack stack, long node) {
        long leftNode = stack.getReference(left, node);
        if (leftNode == 0) {
            return 1;
        }
        return 1 + check(stack, leftNode) + check(stack, stack.getReference(right, node));
    }
}
