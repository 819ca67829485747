/**
 * A generational garbage-collected heap on pagealloc's regions ({@link dev.pagealloc.heap.gc.GcHeap}):
 * objects outside the Java heap, named by address, with precise roots, a copying nursery, a mark-sweep
 * old generation of size-class blocks with a card table, a large-object space, and pinning.
 */
package dev.pagealloc.heap.gc;
