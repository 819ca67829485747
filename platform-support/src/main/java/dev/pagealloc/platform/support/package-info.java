/**
 * Helpers pagealloc's platform modules share: FFM binding ({@link dev.pagealloc.platform.support.NativeBinder})
 * and values computed once, on first use ({@link dev.pagealloc.platform.support.Lazy}).
 */
package dev.pagealloc.platform.support;
