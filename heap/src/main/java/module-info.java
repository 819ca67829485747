/**
 * Heaps on pagealloc's regions: a generational garbage-collected heap ({@code dev.pagealloc.heap.gc})
 * and a manual heap with arenas ({@code dev.pagealloc.heap.manual}), for objects and buffers that live
 * outside the Java heap at addresses native and JIT code can use.
 */
module dev.pagealloc.heap {
    requires transitive dev.pagealloc.api;
    requires jdk.jfr;

    exports dev.pagealloc.heap.gc;
    exports dev.pagealloc.heap.manual;
}
