package dev.pagealloc.wasm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.DeferredUnmap;
import dev.pagealloc.testkit.ChildJvm;
import dev.pagealloc.testkit.Collections;
import dev.pagealloc.testkit.ProcMaps;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The release of a memory of its own, whose loads and stores reach the mapping without an arena, through the
 * core's {@link DeferredUnmap} mode: close drops the pages at once, the reservation stays mapped while the
 * object is reachable and is unmapped by the cleaner after, and accesses racing with the close never fault.
 * Checked in the kernel's view. The mode's own tests (a region never released, thousands of releases faster
 * than collections, a refusal retried after a collection) are the Linux module's {@code LinuxDeferredUnmapTest}.
 */
@EnabledOnOs(OS.LINUX)
class LinearMemoryReleaseTest {
    private static final long PAGE = MemoryType.WASM_PAGE_BYTES;

    @Test
    void shouldDropThePagesOnCloseAndUnmapOnceUnreachable() throws InterruptedException {
        Closed closed = writeAndClose();
        assertTrue(closed.lifetime().isReleased(), "released in the core's mode");
        assertFalse(closed.lifetime().isUnmapped(), "and still mapped");
        dropAndCollectUntilUnmapped(closed.base());
        assertTrue(closed.lifetime().isUnmapped(), "unmapped by the core's cleaner");
    }

    /** A closed memory's base and release mode, which refer to no memory. */
    private record Closed(long base, DeferredUnmap lifetime) {}

    /** {@return the base of a memory written, closed and checked}, the memory unreachable once it returns */
    private static Closed writeAndClose() {
        LinearMemory memory = LinearMemory.create(MemoryType.i32(1, 16));
        DeferredUnmap lifetime = ((RegionStorage) RegionStorageTest.storageOf(memory)).lifetime();
        memory.grow(3);
        long base = memory.segment().address();
        for (long a = 0; a < 4 * PAGE; a += 4096) {
            memory.storeI64(a, a + 1);
        }
        assertEquals(4 * PAGE, ProcMaps.sum(base, base + 4 * PAGE, "Rss"), "written pages are resident");
        memory.close();
        assertEquals(0, ProcMaps.sum(base, base + 4 * PAGE, "Rss"), "close drops the pages");
        assertEquals(List.of("rw-p:" + 4 * PAGE), ProcMaps.permissions(base, base + 4 * PAGE),
                "the reservation stays mapped while the memory is reachable");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> memory.loadI8(0));
        assertTrue(e.getMessage().startsWith("memory released"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> memory.storeI32(8, 1));
        return new Closed(base, lifetime);
    }

    @Test
    void shouldDropThePagesOfAMemoryOfOneBytePagesOnClose() {
        // 10 bytes of 1-byte pages: the committed granule holds them, and close drops that granule.
        LinearMemory memory = LinearMemory.create(new MemoryType(IndexType.I32, 1, 10, 100_000, false));
        long base = memory.segment().address();
        memory.storeI64(0, -1L);
        assertEquals(4096, ProcMaps.sum(base, base + 4096, "Rss"), "the written granule is resident");
        memory.close();
        assertEquals(0, ProcMaps.sum(base, base + 4096, "Rss"), "close drops it");
    }

    @Test
    void shouldNeverFaultWhenAccessesRaceWithCloseAndCollection() {
        ChildJvm.Result result = ChildJvm.of(ReleaseRaceChild.class).jvmOption("-Xmx128m")
                .timeout(Duration.ofMinutes(3)).run();
        assertFalse(result.crashed(), result::describe);
        assertEquals(0, result.exitCode(), result::describe);
        assertTrue(result.stdout().contains(ReleaseRaceChild.DONE), result::describe);
    }

    /** The memory at {@code base} is unreachable: collections must turn its range into a hole. */
    private static void dropAndCollectUntilUnmapped(long base) throws InterruptedException {
        Collections.collectUntil(() -> ProcMaps.mappedBytes(base, PAGE) == 0, Duration.ofSeconds(20));
        assertEquals(0, ProcMaps.mappedBytes(base, PAGE), "the cleaner unmapped the reservation");
    }
}
