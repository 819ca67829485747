package dev.pagealloc.wasm;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

/**
 * A batch of acquisitions whose views share one shared {@link Arena}. Closing a shared arena is a handshake
 * with every Java thread (tens of microseconds idle, more under load), so the pool pays it once per batch:
 * the arena closes when the batch is full and all its memories are released, and only then do its slots go
 * back to the free list, reset again (a view taken before a release may have written until the close).
 *
 * <p>Not thread-safe: the pool's lock guards it.
 */
final class PoolGeneration {
    final Arena arena = Arena.ofShared();
    final List<PoolSlot> slots = new ArrayList<>();
    final List<PoolStorage> members = new ArrayList<>();
    int released;
    /** No more acquisitions go into this generation. */
    boolean sealed;

    boolean allReleased() {
        return released == members.size();
    }
}
