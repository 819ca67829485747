package dev.pagealloc.bench;

import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * The implementations compared, named as the benchmark methods that measure them. A benchmark's
 * setup prepares only the peer being measured, so that a missing provider fails "ours" alone.
 */
enum Peer {
    /** pagealloc, through its public API. */
    OURS("ours"),
    /** The same system calls through plain FFM downcall handles. */
    RAW_FFM("rawFfm"),
    /** The same system calls through JNA's direct mapping. */
    JNA("jna");

    private final String method;

    Peer(String method) {
        this.method = method;
    }

    /**
     * {@return the peer measured by the running benchmark}
     *
     * @param params the running benchmark's parameters, as JMH injects them into a setup method
     * @throws IllegalArgumentException if the benchmark method is not named after a peer
     */
    static Peer of(BenchmarkParams params) {
        String benchmark = params.getBenchmark();
        String name = benchmark.substring(benchmark.lastIndexOf('.') + 1);
        for (Peer peer : values()) {
            if (peer.method.equals(name)) {
                return peer;
            }
        }
        throw new IllegalArgumentException("benchmark " + benchmark + " is not named after a peer (ours, rawFfm, jna)");
    }
}
