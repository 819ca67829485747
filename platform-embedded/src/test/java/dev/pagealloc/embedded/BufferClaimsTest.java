package dev.pagealloc.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.ref.Reference;
import org.junit.jupiter.api.Test;

/** The registry of bytes embedded page tables manage: overlaps refused, edges allowed, frees forgotten. */
class BufferClaimsTest {
    /** Far above any address the JVM maps here, so that no real page table's claim is in the way. */
    private static final long BASE = 0x7ff0_0000_0000L;
    private static final long PAGE = EmbeddedVirtualMemory.PAGE_BYTES;

    @Test
    void shouldRefuseOverlapsAndAllowNeighbours() {
        Object owner = new Object();
        BufferClaims.claim("test", owner, BASE, 4 * PAGE);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BufferClaims.claim("claim(x)", new Object(), BASE + 3 * PAGE, 2 * PAGE));
        assertEquals("claim(x): bytes [0x7ff000003000, 0x7ff000004000) are already managed by another embedded"
                + " allocator, whose buffer is 0x7ff000000000+16384; two allocators over the same memory would hand"
                + " out overlapping regions. Use that allocator, or give this one memory of its own: the other's"
                + " claim ends once it, its regions and their views are unreachable and garbage-collected",
                e.getMessage());
        BufferClaims.claim("before", owner, BASE - PAGE, PAGE);
        BufferClaims.claim("after", owner, BASE + 4 * PAGE, PAGE);
        BufferClaims.forget(BASE - PAGE, 6 * PAGE);
        Reference.reachabilityFence(owner);
    }

    @Test
    void shouldEndTheClaimsOfMemoryBeingFreedAtOnce() {
        Object owner = new Object();
        BufferClaims.claim("test", owner, BASE + 64 * PAGE, 8 * PAGE);
        BufferClaims.forget(BASE + 64 * PAGE, 9 * PAGE);
        // Freed and handed out again by the C library before the old owner was found unreachable.
        BufferClaims.claim("again", new Object(), BASE + 64 * PAGE, 8 * PAGE);
        BufferClaims.forget(BASE + 64 * PAGE, 8 * PAGE);
        Reference.reachabilityFence(owner);
    }
}
