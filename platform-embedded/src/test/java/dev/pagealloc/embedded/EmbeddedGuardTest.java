package dev.pagealloc.embedded;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.GuardCorruptedException;
import dev.pagealloc.api.GuardVerification;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PageAllocatorBuilder;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.api.Units;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The embedded provider's software guards: a raw write into a guard, the reserved tail, a
 * decommitted page or a page protected NONE is found at each {@link GuardVerification} level, with
 * the first changed address.
 */
class EmbeddedGuardTest {
    private static final long WASM_PAGE = PageAllocatorBuilder.WASM_PAGE_BYTES;
    private static final long PAGE = EmbeddedVirtualMemory.PAGE_BYTES;

    private final List<EmbeddedVirtualMemory> tables = new CopyOnWriteArrayList<>();

    private PageAllocator allocator(GuardVerification verification) {
        return PageAllocator.builder()
                .withProvider(new EmbeddedPlatformProvider(tables::add))
                .withGuardVerification(verification)
                .build();
    }

    /** Writes one byte where no view reaches, as stray native code would, and returns what was there. */
    private static byte strayWrite(long address, byte value) {
        // SAFETY: the address lies inside the embedded buffer, which is ordinary allocated memory.
        @SuppressWarnings("restricted") // see the SAFETY line
        MemorySegment raw = MemorySegment.ofAddress(address).reinterpret(1);
        byte before = raw.get(JAVA_BYTE, 0);
        raw.set(JAVA_BYTE, 0, value);
        return before;
    }

    @Test
    void shouldFindAWriteIntoTheGuardBeforeOnDemand() {
        Region region = allocator(GuardVerification.ON_DEMAND).allocate(1, 2);
        region.verifyGuards();
        long target = region.address() - 1;
        strayWrite(target, (byte) 0);
        GuardCorruptedException e = assertThrows(GuardCorruptedException.class, region::verifyGuards);
        assertEquals(target, e.corruptedAddress());
        assertEquals("verifyGuards(): the canary at " + Units.hex(target) + " (byteOffset=-1 from the base "
                + Units.hex(region.address()) + ") was overwritten: an out-of-bounds write hit an inaccessible page",
                e.getMessage());
        region.grow(1);
        region.deallocate(); // on demand only: deallocate does not verify
    }

    @Test
    void shouldReleaseThenReportACorruptedGuardAfterTheMaximumOnDeallocate() {
        Region region = allocator(GuardVerification.ON_DEALLOCATE).allocate(1, 2);
        long target = region.address() + 2 * WASM_PAGE + 7;
        strayWrite(target, (byte) 0x41);
        region.grow(1);
        region.segment().set(JAVA_BYTE, 0, (byte) 1); // operations other than deallocate do not verify
        GuardCorruptedException e = assertThrows(GuardCorruptedException.class, region::deallocate);
        assertEquals(target, e.corruptedAddress());
        assertTrue(e.getMessage().startsWith("deallocate(): the canary at " + Units.hex(target)), e.getMessage());
        assertFalse(region.isAlive(), "a corrupted guard must not make the region impossible to free");
        assertEquals(0, tables.getFirst().reservationCount(), "the page table holds no reservation any more");
        region.deallocate(); // idempotent: nothing left to verify or release
    }

    @Test
    void shouldFindAWriteIntoTheReservedTailAtTheNextOperation() {
        Region region = allocator(GuardVerification.EVERY_OPERATION).allocate(1, 4);
        region.grow(1);
        long target = region.address() + 3 * WASM_PAGE + 100;
        byte original = strayWrite(target, (byte) 0x7F);
        GuardCorruptedException e = assertThrows(GuardCorruptedException.class, () -> region.grow(1));
        assertEquals(target, e.corruptedAddress());
        assertTrue(e.getMessage().startsWith("grow(additionalPages=1): the canary at " + Units.hex(target)
                + " (byteOffset=" + (3 * WASM_PAGE + 100) + " from the base"), e.getMessage());
        assertEquals(2, region.pages(), "the refused grow committed nothing");
        assertThrows(GuardCorruptedException.class, () -> region.segment(0, 1));
        strayWrite(target, original);
        assertEquals(2, region.grow(1));
        region.deallocate();
    }

    @Test
    void shouldFindAWriteIntoADecommittedPage() {
        Region region = allocator(GuardVerification.ON_DEMAND).allocate(2, 2);
        region.segment().fill((byte) 9);
        region.decommit(WASM_PAGE, WASM_PAGE);
        region.verifyGuards();
        long target = region.address() + WASM_PAGE + PAGE - 1;
        strayWrite(target, (byte) 9);
        assertEquals(target, assertThrows(GuardCorruptedException.class, region::verifyGuards).corruptedAddress());
        region.recommit(WASM_PAGE, WASM_PAGE);
        region.verifyGuards();
        assertEquals(0, region.segment(WASM_PAGE, WASM_PAGE).get(JAVA_BYTE, PAGE - 1), "recommit zeroes");
        region.deallocate();
    }

    @Test
    void shouldFindAWriteIntoAPageProtectedNoneAndKeepItsContents() {
        Region region = allocator(GuardVerification.ON_DEMAND).allocate(1, 1);
        region.segment().fill((byte) 0x33);
        region.protect(PAGE, PAGE, Protection.NONE);
        region.discard(PAGE, PAGE);
        region.verifyGuards();
        long target = region.address() + PAGE + 12;
        strayWrite(target, (byte) 1);
        GuardCorruptedException e = assertThrows(GuardCorruptedException.class, region::verifyGuards);
        assertEquals(region.address() + PAGE, e.corruptedAddress(), "a hashed page reports its first byte");
        strayWrite(target, (byte) 0);
        region.verifyGuards();
        region.protect(PAGE, PAGE, Protection.READ_WRITE);
        assertEquals(0, region.segment().get(JAVA_BYTE, PAGE), "the discarded page reads zero");
        assertEquals(0x33, region.segment().get(JAVA_BYTE, 0), "pages never protected keep their contents");
        region.protect(0, PAGE, Protection.NONE);
        region.protect(0, PAGE, Protection.READ);
        assertEquals(0x33, region.segment(0, 1).get(JAVA_BYTE, 0), "protect NONE keeps the contents");
        region.deallocate();
    }

    @Test
    void shouldFillEveryInaccessiblePageWithTheCanary() {
        Region region = allocator(GuardVerification.ON_DEMAND).allocate(1, 3);
        long start = region.address() - region.guardBeforeBytes();
        long end = start + region.reservedBytes();
        // SAFETY: the whole reservation lies inside the embedded buffer.
        @SuppressWarnings("restricted") // see the SAFETY line
        MemorySegment raw = MemorySegment.ofAddress(start).reinterpret(end - start);
        for (long offset = 0; offset < raw.byteSize(); offset++) {
            long address = start + offset;
            boolean committed = address >= region.address() && address < region.address() + WASM_PAGE;
            byte expected = committed ? 0 : Canaries.expected(offset % PAGE);
            if (raw.get(JAVA_BYTE, offset) != expected) {
                throw new AssertionError("byte at " + Units.hex(address) + " is " + raw.get(JAVA_BYTE, offset)
                        + ", expected " + expected);
            }
        }
        region.deallocate();
    }
}
