package dev.pagealloc.embedded;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.Units;
import dev.pagealloc.testkit.ChildJvm;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Which static buffers the embedded provider accepts: only memory no one can free under a live
 * view (the global scope), usable by every thread, and not already managed by another live
 * embedded allocator; and refusals that name the limit instead of overflowing.
 */
class EmbeddedStaticBufferTest {
    private static final long PAGE = EmbeddedVirtualMemory.PAGE_BYTES;
    private static final long MIB = 1 << 20;

    private static PageAllocator over(MemorySegment buffer) {
        return PageAllocator.builder().withPlatform("embedded").withStaticBuffer(buffer).build();
    }

    private static IllegalArgumentException refused(MemorySegment buffer) {
        return assertThrows(IllegalArgumentException.class, () -> over(buffer));
    }

    private static String operation(MemorySegment buffer) {
        return "open(staticBuffer=" + Units.hex(buffer.address()) + "+" + buffer.byteSize() + "): ";
    }

    @Test
    void shouldRefuseABufferThatAnotherLiveAllocatorUses() {
        MemorySegment buffer = Arena.global().allocate(MIB, PAGE);
        PageAllocator first = over(buffer);
        try (Region region = first.allocate(1, 2)) {
            IllegalArgumentException e = refused(buffer);
            assertEquals(operation(buffer) + "bytes [" + Units.hex(buffer.address()) + ", "
                    + Units.hex(buffer.address() + MIB) + ") are already managed by another embedded allocator, whose"
                    + " buffer is " + Units.hex(buffer.address()) + "+" + MIB + "; two allocators over the same memory"
                    + " would hand out overlapping regions. Use that allocator, or give this one memory of its own:"
                    + " the other's claim ends once it, its regions and their views are unreachable and"
                    + " garbage-collected", e.getMessage());
            MemorySegment tail = buffer.asSlice(MIB - PAGE);
            e = refused(tail);
            assertTrue(e.getMessage().startsWith(operation(tail) + "bytes [" + Units.hex(tail.address()) + ", "
                    + Units.hex(tail.address() + PAGE) + ") are already managed"), e.getMessage());
            MemorySegment straddling = Arena.global().allocate(2 * MIB, PAGE);
            PageAllocator second = over(straddling.asSlice(0, MIB));
            refused(straddling.asSlice(MIB - PAGE, 2 * PAGE));
            PageAllocator third = over(straddling.asSlice(MIB));
            try (Region a = second.allocate(1, 4); Region b = third.allocate(1, 4)) {
                a.segment().fill((byte) 1);
                b.segment().fill((byte) 2);
                assertEquals(1, a.segment().get(JAVA_BYTE, 0), "disjoint halves do not overlap");
            }
            region.segment().set(JAVA_BYTE, 0, (byte) 3);
        }
    }

    @Test
    void shouldRefuseAGlobalViewOfAnotherAllocatorsRegion() {
        PageAllocator owner = PageAllocator.builder().withPlatform("embedded").build();
        try (Region region = owner.allocate(1, 2)) {
            // SAFETY: the region's first page is committed and outlives this segment, which is only
            // handed to the builder (and refused).
            @SuppressWarnings("restricted") // see the SAFETY line
            MemorySegment alias = MemorySegment.ofAddress(region.address()).reinterpret(region.byteSize());
            IllegalArgumentException e = refused(alias);
            assertTrue(e.getMessage().contains("are already managed by another embedded allocator"), e.getMessage());
        }
    }

    @Test
    void shouldReleaseTheClaimOnlyWhenNothingCanUseTheBufferAnymore() throws InterruptedException {
        MemorySegment buffer = Arena.global().allocate(MIB, PAGE);
        MemorySegment[] view = {claimAndKeepOneView(buffer)};
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(10);
        }
        refused(buffer); // the allocator and its region are garbage, but a live view still points into the buffer
        view[0].set(JAVA_BYTE, 0, (byte) 7);
        view[0] = null;
        PageAllocator next = awaitAccepted(buffer, Duration.ofSeconds(20));
        try (Region region = next.allocate(1, 1)) {
            assertEquals(buffer.address() + PAGE, region.address(), "the first fit of a fresh page table");
        }
    }

    /** Builds an allocator over {@code buffer} and returns a view of its one region, dropping the rest. */
    private static MemorySegment claimAndKeepOneView(MemorySegment buffer) {
        return over(buffer).allocate(1, 1).segment();
    }

    private static PageAllocator awaitAccepted(MemorySegment buffer, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            System.gc();
            try {
                return over(buffer);
            } catch (IllegalArgumentException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(20);
            }
        }
    }

    @Test
    void shouldRefuseAConfinedBuffer() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(MIB, PAGE);
            assertEquals(operation(buffer) + "the buffer is confined to one thread (Arena.ofConfined()); an allocator"
                    + " serves every thread, and another thread's allocate or grow would fail with"
                    + " WrongThreadException; pass a buffer of Arena.global()", refused(buffer).getMessage());
        }
    }

    @Test
    void shouldRefuseBuffersWhoseMemoryCanBeFreedUnderALiveView() {
        String expected = "the buffer's memory can be freed while views of it live: its arena can be closed"
                + " (Arena.ofShared()), or is one the JDK cannot tell apart from such an arena (Arena.ofAuto(), a view"
                + " of a pagealloc region); views are made from addresses, so they would then read and write freed"
                + " memory; pass a buffer of the global scope, Arena.global().allocate(bytes, 4096), or"
                + " MemorySegment.ofAddress(address) resized with MemorySegment::reinterpret over memory that stays"
                + " valid and accessible for the life of the process";
        try (Arena arena = Arena.ofShared()) {
            MemorySegment shared = arena.allocate(MIB, PAGE);
            assertEquals(operation(shared) + expected, refused(shared).getMessage());
        }
        MemorySegment automatic = Arena.ofAuto().allocate(MIB, PAGE);
        assertEquals(operation(automatic) + expected, refused(automatic).getMessage());

        PageAllocator other = PageAllocator.builder().withPlatform("embedded").withViewSharing(
                dev.pagealloc.api.ViewSharing.SHARED).build();
        try (Region region = other.allocate(1, 1)) {
            MemorySegment view = region.segment();
            assertEquals(operation(view) + expected, refused(view).getMessage());
        }

        Arena closed = Arena.ofShared();
        MemorySegment freed = closed.allocate(MIB, PAGE);
        closed.close();
        assertEquals(operation(freed) + "the buffer's arena is closed", refused(freed).getMessage());
    }

    @Test
    void shouldAcceptAGlobalBufferMadeFromAnAddress() {
        MemorySegment memory = Arena.global().allocate(MIB, PAGE);
        // SAFETY: the global arena never frees `memory`, so this alias stays valid for the whole run.
        @SuppressWarnings("restricted") // see the SAFETY line
        MemorySegment alias = MemorySegment.ofAddress(memory.address()).reinterpret(MIB);
        PageAllocator allocator = over(alias);
        try (Region region = allocator.allocate(1, 2)) {
            region.segment().set(JAVA_BYTE, 9, (byte) 42);
            assertEquals(42, memory.get(JAVA_BYTE, region.address() - memory.address() + 9));
        }
    }

    @Test
    void shouldRefuseABufferLargerThanThePageTableWithIllegalArgumentException() {
        long nineTebibytes = 9L << 40;
        // SAFETY: never accessed: the provider must refuse it before touching a byte.
        @SuppressWarnings("restricted") // see the SAFETY line
        MemorySegment huge = MemorySegment.ofAddress(1L << 32).reinterpret(nineTebibytes);
        IllegalArgumentException e = refused(huge);
        assertEquals(operation(huge) + "the buffer holds 2415919104 pages of 4096 bytes; the embedded page table"
                + " manages at most 1073741824 pages (4398046511104 bytes); pass a slice of it", e.getMessage());

        String before = System.getProperty(EmbeddedPlatformProvider.BUFFER_BYTES_PROPERTY);
        System.setProperty(EmbeddedPlatformProvider.BUFFER_BYTES_PROPERTY, Long.toString(nineTebibytes));
        try {
            e = assertThrows(IllegalArgumentException.class,
                    () -> PageAllocator.builder().withPlatform("embedded").build());
            assertEquals("open(pagealloc.embedded.bufferBytes=9895604649984): the embedded page table manages at"
                    + " most 1073741824 pages (4398046511104 bytes)", e.getMessage());
        } finally {
            if (before == null) {
                System.clearProperty(EmbeddedPlatformProvider.BUFFER_BYTES_PROPERTY);
            } else {
                System.setProperty(EmbeddedPlatformProvider.BUFFER_BYTES_PROPERTY, before);
            }
        }
    }

    /**
     * Closing a shared buffer's arena and then writing through a view: the old provider accepted
     * the buffer, and the write landed in memory {@code free} had returned to the system (SIGSEGV).
     * It runs in a child JVM, which must end normally with the refusal.
     */
    @Test
    void shouldNeverLeaveAViewOverABufferWhoseArenaClosed() {
        ChildJvm.Result result = ChildJvm.of(ClosedBufferChild.class).jvmOption("-Xmx64m").run();
        assertFalse(result.crashed(), result::describe);
        assertEquals(0, result.exitCode(), result::describe);
        assertTrue(result.stdout().contains(ClosedBufferChild.REFUSED + "open(staticBuffer="), result::describe);
        assertFalse(result.stdout().contains(ClosedBufferChild.WROTE), result::describe);
    }

    /** The child of {@link #shouldNeverLeaveAViewOverABufferWhoseArenaClosed}. */
    public static final class ClosedBufferChild {
        static final String REFUSED = "refused: ";
        static final String WROTE = "wrote through a view after the arena closed";

        private ClosedBufferChild() {}

        /**
         * Hands a shared arena's buffer to the provider, closes the arena, then writes through a view.
         *
         * @param arguments ignored
         */
        public static void main(String[] arguments) {
            Arena arena = Arena.ofShared();
            // Large enough that malloc maps it on its own and free unmaps it.
            MemorySegment buffer = arena.allocate(8 * MIB, PAGE);
            PageAllocator allocator;
            try {
                allocator = over(buffer);
            } catch (IllegalArgumentException e) {
                System.out.println(REFUSED + e.getMessage());
                return;
            }
            Region region = allocator.allocate(16, 16);
            MemorySegment view = region.segment();
            arena.close();
            System.out.println("writing through a view of a closed arena");
            System.out.flush();
            view.fill((byte) 0x5A);
            System.out.println(WROTE);
        }
    }
}
