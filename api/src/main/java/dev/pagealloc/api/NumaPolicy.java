package dev.pagealloc.api;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Where the kernel places a region's pages on a machine with several NUMA nodes. The policy is
 * applied to the reservation before any page is touched, so first-touch placement never wins.
 *
 * <p>Immutable and thread-safe.
 */
public sealed interface NumaPolicy {

    /** The largest node number accepted (Linux's default {@code MAX_NUMNODES} is 1024). */
    int MAX_NODE = 1023;

    /** {@return the platform default: the kernel places pages by first touch} */
    static NumaPolicy none() {
        return Default.INSTANCE;
    }

    /**
     * {@return pages only on the given nodes; allocation fails rather than spill elsewhere}
     *
     * @param nodes node numbers, 0 to {@value #MAX_NODE}; at least one
     * @throws IllegalArgumentException if {@code nodes} is empty or a node is out of range
     * @throws NullPointerException if {@code nodes} is null
     */
    static NumaPolicy bind(int... nodes) {
        return new Bind(nodeSet("bind", nodes));
    }

    /**
     * {@return pages preferably on {@code node}, elsewhere when it is full}
     *
     * @param node a node number, 0 to {@value #MAX_NODE}
     * @throws IllegalArgumentException if {@code node} is out of range
     */
    static NumaPolicy preferred(int node) {
        return new Preferred(node);
    }

    /**
     * {@return pages spread round-robin over the given nodes}
     *
     * @param nodes node numbers, 0 to {@value #MAX_NODE}; at least one
     * @throws IllegalArgumentException if {@code nodes} is empty or a node is out of range
     * @throws NullPointerException if {@code nodes} is null
     */
    static NumaPolicy interleave(int... nodes) {
        return new Interleave(nodeSet("interleave", nodes));
    }

    /** {@return the nodes this policy names; empty for the default policy} */
    SortedSet<Integer> nodes();

    /** The default policy: no binding. */
    enum Default implements NumaPolicy {
        /** The only value. */
        INSTANCE;

        @Override
        public SortedSet<Integer> nodes() {
            return Collections.emptySortedSet();
        }

        @Override
        public String toString() {
            return "default";
        }
    }

    /**
     * Pages only on {@code nodes} ({@code MPOL_BIND}).
     *
     * @param nodes the allowed nodes; not empty
     */
    record Bind(SortedSet<Integer> nodes) implements NumaPolicy {
        /** Copies and checks the node set. */
        public Bind {
            nodes = nodeSet("bind", toArray("bind", nodes));
        }
    }

    /**
     * Pages preferably on {@code node} ({@code MPOL_PREFERRED}).
     *
     * @param node the preferred node
     */
    record Preferred(int node) implements NumaPolicy {
        /** Checks the node number. */
        public Preferred {
            // One node, not a set: the message names the argument the caller passed.
            if (node < 0 || node > MAX_NODE) {
                throw new IllegalArgumentException("NumaPolicy.preferred(node=" + node + "): node " + node
                        + " is outside 0.." + MAX_NODE);
            }
        }

        @Override
        public SortedSet<Integer> nodes() {
            return Collections.unmodifiableSortedSet(new TreeSet<>(List.of(node)));
        }
    }

    /**
     * Pages interleaved over {@code nodes} ({@code MPOL_INTERLEAVE}).
     *
     * @param nodes the nodes to spread over; not empty
     */
    record Interleave(SortedSet<Integer> nodes) implements NumaPolicy {
        /** Copies and checks the node set. */
        public Interleave {
            nodes = nodeSet("interleave", toArray("interleave", nodes));
        }
    }

    private static int[] toArray(String policy, SortedSet<Integer> nodes) {
        if (nodes == null) {
            throw new NullPointerException("NumaPolicy." + policy + "(nodes=null): nodes must not be null");
        }
        return nodes.stream().mapToInt(Integer::intValue).toArray();
    }

    private static SortedSet<Integer> nodeSet(String policy, int[] nodes) {
        if (nodes == null) {
            throw new NullPointerException("NumaPolicy." + policy + "(nodes=null): nodes must not be null");
        }
        if (nodes.length == 0) {
            throw new IllegalArgumentException("NumaPolicy." + policy + "(nodes=[]): at least one node is needed");
        }
        TreeSet<Integer> set = new TreeSet<>();
        for (int node : nodes) {
            if (node < 0 || node > MAX_NODE) {
                throw new IllegalArgumentException("NumaPolicy." + policy + "(nodes=" + Arrays.toString(nodes)
                        + "): node " + node + " is outside 0.." + MAX_NODE);
            }
            set.add(node);
        }
        return Collections.unmodifiableSortedSet(set);
    }
}
